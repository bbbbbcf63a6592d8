import { parameterShapes, validateConfig, type LlamaConfig } from '../llama-model';
import { DEFAULT_CHUNK_TOKENS } from './chunk';
import { Kernels } from './kernels';

/** A batch of windows as the trainer samples them: row-major [rows, seqLen]. */
export interface TokenBatch {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  batchSize: number;
  seqLen: number;
}

export interface LossAndGradients {
  /** Weighted mean cross-entropy of the batch: Σ w·ce / Σ w. */
  loss: number;
  /** Gradients of that loss, one array per parameter in `parameterShapes` order. */
  values: Float32Array[];
  /** Σ w over the batch's targets. */
  weight: number;
}

/** Float offsets of one layer's saved activations. */
interface LayerBuffers {
  xin: number;
  r1: number;
  h: number;
  q: number;
  k: number;
  v: number;
  p: number;
  o: number;
  x1: number;
  r2: number;
  f: number;
  a: number;
  u: number;
  s: number;
}

interface Layout {
  seqLen: number;
  rows: number;
  layers: LayerBuffers[];
  xL: number;
  rF: number;
  z: number;
  logits: number;
  dx: number;
  dh: number;
  dq: number;
  dk: number;
  dv: number;
  dO: number;
  ds: number;
  da: number;
  du: number;
  headT: number;
  dP: number;
  wT: number;
  cos: number;
  sin: number;
}

/**
 * The llama model of `LlamaModel`, forward and backward by hand over the
 * SIMD kernels: every product is one strided matmul on buffers laid out once
 * per batch shape, and the element-wise steps (RMSNorm, RoPE, causal
 * softmax, SwiGLU, cross-entropy) are single loops that also produce what
 * their backward step needs. tfjs spends most of a step on hundreds of small
 * kernels, copies and transposes at this model size; here a step is a few
 * dozen matmuls. Batches are processed in chunks of rows so that the saved
 * activations stay within `chunkTokens` tokens whatever the batch size.
 */
export class FusedLlama {
  private readonly k = new Kernels();
  private readonly names: string[];
  private readonly sizes: number[];
  private readonly param = new Map<string, number>();
  private readonly grad = new Map<string, number>();
  private readonly paramFloats: number;
  private layout: Layout | undefined;

  constructor(
    readonly config: LlamaConfig,
    private readonly chunkTokens = DEFAULT_CHUNK_TOKENS,
  ) {
    validateConfig(config);
    const shapes = [...parameterShapes(config)];
    this.names = shapes.map(([n]) => n);
    this.sizes = shapes.map(([, s]) => s.reduce((a, b) => a * b, 1));
    let at = 16;
    shapes.forEach(([name], i) => {
      this.param.set(name, at);
      at += align(this.sizes[i]);
    });
    shapes.forEach(([name], i) => {
      this.grad.set(name, at);
      at += align(this.sizes[i]);
    });
    this.paramFloats = at;
    this.k.reserve(at);
  }

  get parameterNames(): readonly string[] {
    return this.names;
  }

  setWeights(values: readonly Float32Array[]): void {
    if (values.length !== this.names.length) throw new Error(`expected ${this.names.length} weight arrays, got ${values.length}`);
    values.forEach((v, i) => {
      if (v.length !== this.sizes[i]) throw new Error(`weight ${this.names[i]} has ${v.length} values, expected ${this.sizes[i]}`);
      this.k.f32.set(v, this.param.get(this.names[i])!);
    });
  }

  lossAndGradients(batch: TokenBatch): LossAndGradients {
    const f = this.prepare(batch);
    for (let i = 0; i < this.names.length; i++) f.fill(0, this.grad.get(this.names[i])!, this.grad.get(this.names[i])! + this.sizes[i]);
    const weight = sum(batch.weights);
    const norm = Math.max(weight, 1e-8);
    let loss = 0;
    this.eachChunk(batch, (from, rows) => {
      loss += this.forward(batch, from, rows, norm, true);
      this.backward(batch, from, rows);
    });
    const g = this.k.f32;
    return { loss, weight, values: this.names.map((n, i) => g.slice(this.grad.get(n)!, this.grad.get(n)! + this.sizes[i])) };
  }

  /** Weighted mean cross-entropy without gradients (validation). */
  loss(batch: TokenBatch): number {
    this.prepare(batch);
    const norm = Math.max(sum(batch.weights), 1e-8);
    let loss = 0;
    this.eachChunk(batch, (from, rows) => {
      loss += this.forward(batch, from, rows, norm, false);
    });
    return loss;
  }

  private eachChunk(batch: TokenBatch, run: (from: number, rows: number) => void): void {
    const per = this.layout!.rows;
    for (let from = 0; from < batch.batchSize; from += per) run(from, Math.min(per, batch.batchSize - from));
  }

  private prepare(batch: TokenBatch): Float32Array {
    const { seqLen: t, batchSize } = batch;
    if (t > this.config.contextLength) throw new Error(`windows of ${t} tokens exceed the model's context of ${this.config.contextLength}`);
    if (batch.inputs.length !== batchSize * t || batch.targets.length !== batchSize * t || batch.weights.length !== batchSize * t) throw new Error('batch arrays do not match batchSize × seqLen');
    const rows = Math.max(1, Math.min(batchSize, Math.floor(this.chunkTokens / t)));
    if (!this.layout || this.layout.seqLen !== t || this.layout.rows < rows) this.layout = this.plan(t, rows);
    return this.k.f32;
  }

  private plan(t: number, rows: number): Layout {
    const { dModel: d, nHeads: nh, ffnHidden: ff, vocabSize: nv, nLayers, ropeTheta } = this.config;
    const n = rows * t;
    let at = this.paramFloats;
    const take = (floats: number) => {
      const start = at;
      at += align(floats);
      return start;
    };
    const layers: LayerBuffers[] = [];
    for (let l = 0; l < nLayers; l++) {
      layers.push({
        xin: take(n * d),
        r1: take(n),
        h: take(n * d),
        q: take(n * d),
        k: take(n * d),
        v: take(n * d),
        p: take(rows * nh * t * t),
        o: take(n * d),
        x1: take(n * d),
        r2: take(n),
        f: take(n * d),
        a: take(n * ff),
        u: take(n * ff),
        s: take(n * ff),
      });
    }
    const layout: Layout = {
      seqLen: t,
      rows,
      layers,
      xL: take(n * d),
      rF: take(n),
      z: take(n * d),
      logits: take(n * nv),
      dx: take(n * d),
      dh: take(n * d),
      dq: take(n * d),
      dk: take(n * d),
      dv: take(n * d),
      dO: take(n * d),
      ds: take(n * ff),
      da: take(n * ff),
      du: take(n * ff),
      headT: take((d / nh) * t),
      dP: take(t * t),
      wT: take(Math.max(d * ff, d * nv, d * d)),
      cos: take(t * d),
      sin: take(t * d),
    };
    this.k.reserve(at);
    // RoPE angles in LlamaModel's layout: adjacent pairs rotate together.
    const f = this.k.f32;
    const dh = d / nh;
    for (let pos = 0; pos < t; pos++) {
      for (let j = 0; j < d; j++) {
        const angle = pos * Math.pow(ropeTheta, (-2 * Math.floor((j % dh) / 2)) / dh);
        f[layout.cos + pos * d + j] = Math.cos(angle);
        f[layout.sin + pos * d + j] = Math.sin(angle);
      }
    }
    return layout;
  }

  /** The sizes and buffers a pass over `rows` rows works with, in the short names of the formulas. */
  private pass(rows: number) {
    const { dModel: d, nHeads: nh, ffnHidden: ff, vocabSize: nv } = this.config;
    const L = this.layout!;
    const t = L.seqLen;
    const P = (name: string) => this.param.get(name)!;
    return { d, nh, ff, nv, L, k: this.k, f: this.k.f32, t, n: rows * t, dh: d / nh, scale: 1 / Math.sqrt(d / nh), P, emb: P('token_embd') };
  }

  /** Forward pass of rows [from, from + rows); returns their share of the batch loss and, with `grad`, leaves dL/dlogits in the logits buffer. */
  private forward(batch: TokenBatch, from: number, rows: number, norm: number, grad: boolean): number {
    const { d, nh, ff, nv, L, k, f, t, n, dh, scale, P, emb } = this.pass(rows);
    const { rmsEps: eps, tiedEmbeddings } = this.config;
    const first = L.layers[0].xin;
    for (let i = 0; i < n; i++) {
      const id = batch.inputs[from * t + i];
      if (!(id >= 0 && id < nv)) throw new Error(`token id ${id} is outside the vocabulary of ${nv}`);
      f.copyWithin(first + i * d, emb + id * d, emb + (id + 1) * d);
    }
    L.layers.forEach((B, l) => {
      rmsNorm(f, B.xin, P(`blk.${l}.attn_norm`), B.r1, B.h, n, d, eps);
      k.matmul(B.h, d, 1, P(`blk.${l}.attn_q`), d, B.q, d, n, d, d);
      k.matmul(B.h, d, 1, P(`blk.${l}.attn_k`), d, B.k, d, n, d, d);
      k.matmul(B.h, d, 1, P(`blk.${l}.attn_v`), d, B.v, d, n, d, d);
      rope(f, B.q, L.cos, L.sin, n, t, d, false);
      rope(f, B.k, L.cos, L.sin, n, t, d, false);
      for (let r = 0; r < rows; r++) {
        for (let hd = 0; hd < nh; hd++) {
          const base = r * t * d + hd * dh;
          const p = B.p + (r * nh + hd) * t * t;
          k.transpose(B.k + base, d, t, dh, L.headT);
          k.matmul(B.q + base, d, 1, L.headT, t, p, t, t, dh, t);
          causalSoftmax(f, p, t, scale);
          k.matmul(p, t, 1, B.v + base, d, B.o + base, d, t, t, dh);
        }
      }
      f.copyWithin(B.x1, B.xin, B.xin + n * d);
      k.matmul(B.o, d, 1, P(`blk.${l}.attn_output`), d, B.x1, d, n, d, d, true);
      rmsNorm(f, B.x1, P(`blk.${l}.ffn_norm`), B.r2, B.f, n, d, eps);
      k.matmul(B.f, d, 1, P(`blk.${l}.ffn_gate`), ff, B.a, ff, n, d, ff);
      k.matmul(B.f, d, 1, P(`blk.${l}.ffn_up`), ff, B.u, ff, n, d, ff);
      for (let i = 0; i < n * ff; i++) {
        const a = f[B.a + i];
        f[B.s + i] = (a / (1 + Math.exp(-a))) * f[B.u + i];
      }
      const next = l + 1 < L.layers.length ? L.layers[l + 1].xin : L.xL;
      f.copyWithin(next, B.x1, B.x1 + n * d);
      k.matmul(B.s, ff, 1, P(`blk.${l}.ffn_down`), d, next, d, n, ff, d, true);
    });
    rmsNorm(f, L.xL, P('output_norm'), L.rF, L.z, n, d, eps);
    if (tiedEmbeddings) {
      k.transpose(emb, d, nv, d, L.wT);
      k.matmul(L.z, d, 1, L.wT, nv, L.logits, nv, n, d, nv);
    } else {
      k.matmul(L.z, d, 1, P('output'), nv, L.logits, nv, n, d, nv);
    }
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = L.logits + i * nv;
      let max = -Infinity;
      for (let j = 0; j < nv; j++) if (f[row + j] > max) max = f[row + j];
      let total = 0;
      for (let j = 0; j < nv; j++) total += Math.exp(f[row + j] - max);
      const lse = max + Math.log(total);
      const target = batch.targets[from * t + i];
      if (!(target >= 0 && target < nv)) throw new Error(`token id ${target} is outside the vocabulary of ${nv}`);
      const w = batch.weights[from * t + i] / norm;
      loss += w * (lse - f[row + target]);
      if (!grad) continue;
      // dL/dlogit = w · (softmax − one-hot(target)).
      for (let j = 0; j < nv; j++) f[row + j] = w === 0 ? 0 : Math.exp(f[row + j] - lse) * w;
      f[row + target] -= w;
    }
    return loss;
  }

  private backward(batch: TokenBatch, from: number, rows: number): void {
    const { d, nh, ff, nv, L, k, f, t, n, dh, scale, P, emb } = this.pass(rows);
    const { tiedEmbeddings } = this.config;
    const G = (name: string) => this.grad.get(name)!;

    // Output head and final norm.
    const dz = L.dh;
    if (tiedEmbeddings) {
      k.matmul(L.logits, nv, 1, emb, d, dz, d, n, nv, d);
      k.matmul(L.logits, 1, nv, L.z, d, G('token_embd'), d, nv, n, d, true);
    } else {
      k.transpose(P('output'), nv, d, nv, L.wT);
      k.matmul(L.logits, nv, 1, L.wT, d, dz, d, n, nv, d);
      k.matmul(L.z, 1, d, L.logits, nv, G('output'), nv, d, n, nv, true);
    }
    f.fill(0, L.dx, L.dx + n * d);
    rmsNormBackward(f, L.xL, L.rF, P('output_norm'), dz, L.dx, G('output_norm'), n, d);

    for (let l = L.layers.length - 1; l >= 0; l--) {
      const B = L.layers[l];
      // x_next = x1 + s·W_down, with s = silu(a) ⊙ u; dx holds dL/dx_next.
      k.matmul(B.s, 1, ff, L.dx, d, G(`blk.${l}.ffn_down`), d, ff, n, d, true);
      k.transpose(P(`blk.${l}.ffn_down`), d, ff, d, L.wT);
      k.matmul(L.dx, d, 1, L.wT, ff, L.ds, ff, n, d, ff);
      for (let i = 0; i < n * ff; i++) {
        const a = f[B.a + i];
        const sg = 1 / (1 + Math.exp(-a));
        const ds = f[L.ds + i];
        f[L.du + i] = ds * a * sg;
        f[L.da + i] = ds * f[B.u + i] * sg * (1 + a * (1 - sg));
      }
      k.matmul(B.f, 1, d, L.da, ff, G(`blk.${l}.ffn_gate`), ff, d, n, ff, true);
      k.matmul(B.f, 1, d, L.du, ff, G(`blk.${l}.ffn_up`), ff, d, n, ff, true);
      k.transpose(P(`blk.${l}.ffn_gate`), ff, d, ff, L.wT);
      k.matmul(L.da, ff, 1, L.wT, d, L.dh, d, n, ff, d);
      k.transpose(P(`blk.${l}.ffn_up`), ff, d, ff, L.wT);
      k.matmul(L.du, ff, 1, L.wT, d, L.dh, d, n, ff, d, true);
      rmsNormBackward(f, B.x1, B.r2, P(`blk.${l}.ffn_norm`), L.dh, L.dx, G(`blk.${l}.ffn_norm`), n, d);

      // x1 = xin + o·W_o; dx now holds dL/dx1.
      k.matmul(B.o, 1, d, L.dx, d, G(`blk.${l}.attn_output`), d, d, n, d, true);
      k.transpose(P(`blk.${l}.attn_output`), d, d, d, L.wT);
      k.matmul(L.dx, d, 1, L.wT, d, L.dO, d, n, d, d);
      for (let r = 0; r < rows; r++) {
        for (let hd = 0; hd < nh; hd++) {
          const base = r * t * d + hd * dh;
          const p = B.p + (r * nh + hd) * t * t;
          k.transpose(B.v + base, d, t, dh, L.headT);
          k.matmul(L.dO + base, d, 1, L.headT, t, L.dP, t, t, dh, t);
          k.matmul(p, 1, t, L.dO + base, d, L.dv + base, d, t, t, dh);
          causalSoftmaxBackward(f, p, L.dP, t, scale);
          k.matmul(L.dP, t, 1, B.k + base, d, L.dq + base, d, t, t, dh);
          k.matmul(L.dP, 1, t, B.q + base, d, L.dk + base, d, t, t, dh);
        }
      }
      rope(f, L.dq, L.cos, L.sin, n, t, d, true);
      rope(f, L.dk, L.cos, L.sin, n, t, d, true);
      k.matmul(B.h, 1, d, L.dq, d, G(`blk.${l}.attn_q`), d, d, n, d, true);
      k.matmul(B.h, 1, d, L.dk, d, G(`blk.${l}.attn_k`), d, d, n, d, true);
      k.matmul(B.h, 1, d, L.dv, d, G(`blk.${l}.attn_v`), d, d, n, d, true);
      k.transpose(P(`blk.${l}.attn_q`), d, d, d, L.wT);
      k.matmul(L.dq, d, 1, L.wT, d, L.dh, d, n, d, d);
      k.transpose(P(`blk.${l}.attn_k`), d, d, d, L.wT);
      k.matmul(L.dk, d, 1, L.wT, d, L.dh, d, n, d, d, true);
      k.transpose(P(`blk.${l}.attn_v`), d, d, d, L.wT);
      k.matmul(L.dv, d, 1, L.wT, d, L.dh, d, n, d, d, true);
      rmsNormBackward(f, B.xin, B.r1, P(`blk.${l}.attn_norm`), L.dh, L.dx, G(`blk.${l}.attn_norm`), n, d);
    }
    const dE = G('token_embd');
    for (let i = 0; i < n; i++) {
      const row = dE + batch.inputs[from * t + i] * d;
      const src = L.dx + i * d;
      for (let j = 0; j < d; j++) f[row + j] += f[src + j];
    }
  }
}

/** Float counts rounded up to 16 bytes, so every buffer starts SIMD-aligned. */
function align(floats: number): number {
  return Math.ceil(floats / 4) * 4;
}

function sum(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** y = x · r · g with r = 1/√(mean(x²) + eps) per row; r is kept for the backward step. */
function rmsNorm(f: Float32Array, x: number, g: number, r: number, y: number, n: number, d: number, eps: number): void {
  for (let i = 0; i < n; i++) {
    const row = x + i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += f[row + j] * f[row + j];
    const rr = 1 / Math.sqrt(s / d + eps);
    f[r + i] = rr;
    const out = y + i * d;
    for (let j = 0; j < d; j++) f[out + j] = f[row + j] * rr * f[g + j];
  }
}

/** Adds dL/dx to dx and dL/dg to dg, for y = x · r · g: dx = r·(dy⊙g) − x·r³·(Σ dy⊙g⊙x)/d. */
function rmsNormBackward(f: Float32Array, x: number, r: number, g: number, dy: number, dx: number, dg: number, n: number, d: number): void {
  for (let i = 0; i < n; i++) {
    const row = x + i * d;
    const grad = dy + i * d;
    const rr = f[r + i];
    let dot = 0;
    for (let j = 0; j < d; j++) {
      const u = f[grad + j] * f[g + j];
      dot += u * f[row + j];
      f[dg + j] += f[grad + j] * f[row + j] * rr;
    }
    const c = (rr * rr * rr * dot) / d;
    const out = dx + i * d;
    for (let j = 0; j < d; j++) f[out + j] += rr * f[grad + j] * f[g + j] - f[row + j] * c;
  }
}

/** Rotates adjacent pairs by their position's angle in place; `inverse` applies the transpose (the backward step). */
function rope(f: Float32Array, x: number, cos: number, sin: number, n: number, t: number, d: number, inverse: boolean): void {
  const sign = inverse ? -1 : 1;
  for (let i = 0; i < n; i++) {
    const row = x + i * d;
    const table = ((i % t) * d) | 0;
    for (let j = 0; j < d; j += 2) {
      const c = f[cos + table + j];
      const s = sign * f[sin + table + j];
      const x0 = f[row + j];
      const x1 = f[row + j + 1];
      f[row + j] = x0 * c - x1 * s;
      f[row + j + 1] = x1 * c + x0 * s;
    }
  }
}

/** Row i of the t × t scores becomes softmax(scale · s[i, 0..i]) with zeros after the diagonal. */
function causalSoftmax(f: Float32Array, p: number, t: number, scale: number): void {
  for (let i = 0; i < t; i++) {
    const row = p + i * t;
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      const v = f[row + j] * scale;
      f[row + j] = v;
      if (v > max) max = v;
    }
    let total = 0;
    for (let j = 0; j <= i; j++) {
      const e = Math.exp(f[row + j] - max);
      f[row + j] = e;
      total += e;
    }
    const inv = 1 / total;
    for (let j = 0; j <= i; j++) f[row + j] *= inv;
    f.fill(0, row + i + 1, row + t);
  }
}

/** dP (t × t, in place) becomes dL/dscores: scale · P ⊙ (dP − rowsum(P ⊙ dP)). */
function causalSoftmaxBackward(f: Float32Array, p: number, dp: number, t: number, scale: number): void {
  for (let i = 0; i < t; i++) {
    const prow = p + i * t;
    const grow = dp + i * t;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += f[prow + j] * f[grow + j];
    for (let j = 0; j <= i; j++) f[grow + j] = scale * f[prow + j] * (f[grow + j] - dot);
    f.fill(0, grow + i + 1, grow + t);
  }
}
