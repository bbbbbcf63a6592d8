import { tf } from './backend';
import { createRandom } from './random';

export interface LlamaConfig {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  ffnHidden: number;
  contextLength: number;
  ropeTheta: number;
  rmsEps: number;
  tiedEmbeddings: boolean;
}

export const defaultLlamaConfig: Omit<LlamaConfig, 'vocabSize'> = {
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  ffnHidden: 172,
  contextLength: 64,
  ropeTheta: 10000,
  rmsEps: 1e-5,
  tiedEmbeddings: true,
};

/**
 * Parameter names follow llama.cpp's GGUF tensor names without the `.weight`
 * suffix. Matrices are stored [in, out] so that activations multiply on the left.
 */
export function parameterShapes(c: LlamaConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>([['token_embd', [c.vocabSize, c.dModel]]]);
  for (let l = 0; l < c.nLayers; l++) {
    shapes.set(`blk.${l}.attn_norm`, [c.dModel]);
    shapes.set(`blk.${l}.attn_q`, [c.dModel, c.dModel]);
    shapes.set(`blk.${l}.attn_k`, [c.dModel, c.dModel]);
    shapes.set(`blk.${l}.attn_v`, [c.dModel, c.dModel]);
    shapes.set(`blk.${l}.attn_output`, [c.dModel, c.dModel]);
    shapes.set(`blk.${l}.ffn_norm`, [c.dModel]);
    shapes.set(`blk.${l}.ffn_gate`, [c.dModel, c.ffnHidden]);
    shapes.set(`blk.${l}.ffn_up`, [c.dModel, c.ffnHidden]);
    shapes.set(`blk.${l}.ffn_down`, [c.ffnHidden, c.dModel]);
  }
  shapes.set('output_norm', [c.dModel]);
  if (!c.tiedEmbeddings) shapes.set('output', [c.dModel, c.vocabSize]);
  return shapes;
}

export function validateConfig(c: LlamaConfig): void {
  const problems: string[] = [];
  if (c.dModel % c.nHeads !== 0) problems.push(`dModel ${c.dModel} is not a multiple of nHeads ${c.nHeads}`);
  if ((c.dModel / c.nHeads) % 2 !== 0) problems.push(`the head size ${c.dModel / c.nHeads} must be even for RoPE`);
  for (const k of ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'ffnHidden', 'contextLength'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) problems.push(`${k} must be a positive integer, got ${c[k]}`);
  }
  if (problems.length) throw new Error(`invalid model config: ${problems.join('; ')}`);
}

export class LlamaModel {
  readonly params: Map<string, tf.Variable>;
  private readonly ropeCache = new Map<number, { cos: tf.Tensor2D; sin: tf.Tensor2D; mask: tf.Tensor2D }>();

  private constructor(
    readonly config: LlamaConfig,
    params: Map<string, tf.Variable>,
  ) {
    this.params = params;
  }

  /** Seeded init: normal(0, 0.02) matrices, residual outputs scaled by 1/sqrt(2·layers), norms at 1. */
  static create(config: LlamaConfig, { seed = 1 }: { seed?: number } = {}): LlamaModel {
    validateConfig(config);
    const rnd = createRandom(seed);
    const params = new Map<string, tf.Variable>();
    for (const [name, shape] of parameterShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      if (shape.length === 1) data.fill(1);
      else {
        const residual = name.endsWith('attn_output') || name.endsWith('ffn_down');
        const std = residual ? 0.02 / Math.sqrt(2 * config.nLayers) : 0.02;
        for (let i = 0; i < size; i++) data[i] = rnd.normal() * std;
      }
      params.set(name, tf.variable(tf.tensor(data, shape), true));
    }
    return new LlamaModel(config, params);
  }

  static fromWeights(config: LlamaConfig, weights: Map<string, Float32Array>): LlamaModel {
    validateConfig(config);
    const params = new Map<string, tf.Variable>();
    for (const [name, shape] of parameterShapes(config)) {
      const data = weights.get(name);
      const size = shape.reduce((a, b) => a * b, 1);
      if (!data || data.length !== size) throw new Error(`weight ${name} is missing or not of shape [${shape.join(', ')}]`);
      params.set(name, tf.variable(tf.tensor(data, shape), true));
    }
    return new LlamaModel(config, params);
  }

  get parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.params) out.set(name, v.dataSync() as Float32Array);
    return out;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const t of this.ropeCache.values()) tf.dispose([t.cos, t.sin, t.mask]);
    this.params.clear();
    this.ropeCache.clear();
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`the model has no parameter ${name}`);
    return v;
  }

  /**
   * RoPE tables in llama.cpp's LLM_ARCH_LLAMA layout (adjacent pairs rotate
   * together), so exported q/k weights need no permutation; and the causal mask.
   */
  private tables(t: number): { cos: tf.Tensor2D; sin: tf.Tensor2D; mask: tf.Tensor2D } {
    const cached = this.ropeCache.get(t);
    if (cached) return cached;
    const { dModel, nHeads, ropeTheta } = this.config;
    const dh = dModel / nHeads;
    const cos = new Float32Array(t * dModel);
    const sin = new Float32Array(t * dModel);
    for (let pos = 0; pos < t; pos++) {
      for (let j = 0; j < dModel; j++) {
        const i = Math.floor((j % dh) / 2);
        const angle = pos * Math.pow(ropeTheta, (-2 * i) / dh);
        cos[pos * dModel + j] = Math.cos(angle);
        // The pair partner enters as -x[2i+1] for the even slot and +x[2i] for the odd one.
        sin[pos * dModel + j] = Math.sin(angle);
      }
    }
    const mask = new Float32Array(t * t);
    for (let r = 0; r < t; r++) for (let c = r + 1; c < t; c++) mask[r * t + c] = -1e9;
    const tables = tf.tidy(() => ({
      cos: tf.keep(tf.tensor2d(cos, [t, dModel])),
      sin: tf.keep(tf.tensor2d(sin, [t, dModel])),
      mask: tf.keep(tf.tensor2d(mask, [t, t])),
    }));
    this.ropeCache.set(t, tables);
    return tables;
  }

  /** Logits [batch·time, vocab] for token ids [batch, time]. */
  forward(ids: tf.Tensor2D): tf.Tensor2D {
    const { vocabSize, dModel, nLayers, nHeads, rmsEps, tiedEmbeddings } = this.config;
    const [b, t] = ids.shape;
    const dh = dModel / nHeads;
    const { cos, sin, mask } = this.tables(t);
    return tf.tidy(() => {
      const rmsNorm = (x: tf.Tensor2D, w: tf.Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), rmsEps))), w) as tf.Tensor2D;
      const cosB = tf.tile(cos, [b, 1]);
      const sinB = tf.tile(sin, [b, 1]);
      const sign = tf.tensor1d([-1, 1]);
      const rope = (x: tf.Tensor2D) => {
        const swapped = tf.mul(tf.reverse(tf.reshape(x, [b * t * (dModel / 2), 2]), 1), sign);
        return tf.add(tf.mul(x, cosB), tf.mul(tf.reshape(swapped, [b * t, dModel]), sinB)) as tf.Tensor2D;
      };
      const heads = (x: tf.Tensor2D) => tf.reshape(tf.transpose(tf.reshape(x, [b, t, nHeads, dh]), [0, 2, 1, 3]), [b * nHeads, t, dh]) as tf.Tensor3D;

      const flatIds = tf.reshape(ids, [b * t]) as tf.Tensor1D;
      // Lookup by gather; its gradient (missing on wasm) is one-hot(ids)ᵀ · dy. As a plain
      // one-hot matmul, tfjs would also run the forward product and the unused gradient
      // with respect to the one-hot matrix: two vocabulary-sized matmuls per step.
      const embed = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const [table, idsIn, save] = inputs as [tf.Tensor, tf.Tensor1D, tf.GradSaveFunc];
        // Saved tensors outlive this scope until the backward pass needs them.
        save([idsIn]);
        return {
          value: tf.gather(table, idsIn),
          gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [
            tf.matMul(tf.cast(tf.oneHot(saved[0] as tf.Tensor1D, vocabSize), 'float32'), dy as tf.Tensor2D, true, false),
            tf.zeros(saved[0].shape),
          ],
        };
      });
      let x = embed(this.p('token_embd'), flatIds) as tf.Tensor2D;
      for (let l = 0; l < nLayers; l++) {
        const h = rmsNorm(x, this.p(`blk.${l}.attn_norm`));
        const q = heads(rope(tf.matMul(h, this.p(`blk.${l}.attn_q`))));
        const k = heads(rope(tf.matMul(h, this.p(`blk.${l}.attn_k`))));
        const v = heads(tf.matMul(h, this.p(`blk.${l}.attn_v`)));
        const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), mask);
        const attn = tf.matMul(tf.softmax(scores), v);
        const merged = tf.reshape(tf.transpose(tf.reshape(attn, [b, nHeads, t, dh]), [0, 2, 1, 3]), [b * t, dModel]) as tf.Tensor2D;
        x = tf.add(x, tf.matMul(merged, this.p(`blk.${l}.attn_output`)));
        const f = rmsNorm(x, this.p(`blk.${l}.ffn_norm`));
        const gate = tf.matMul(f, this.p(`blk.${l}.ffn_gate`));
        const gated = tf.mul(tf.mul(gate, tf.sigmoid(gate)), tf.matMul(f, this.p(`blk.${l}.ffn_up`))) as tf.Tensor2D;
        x = tf.add(x, tf.matMul(gated, this.p(`blk.${l}.ffn_down`)));
      }
      const out = rmsNorm(x, this.p('output_norm'));
      return tiedEmbeddings ? tf.matMul(out, this.p('token_embd'), false, true) : tf.matMul(out, this.p('output'));
    });
  }

  /**
   * Mean cross-entropy weighted per target token: sum(w·ce) / sum(w). Weights
   * are 0 for tokens that carry no loss (prompts, padding) and the message
   * weight for trained ones.
   */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.forward(inputs);
      const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
      const picked = tf.sum(tf.mul(tf.cast(tf.oneHot(tf.reshape(targets, [-1]), this.config.vocabSize), 'float32'), logp), 1);
      const w = tf.reshape(weights, [-1]);
      return tf.div(tf.neg(tf.sum(tf.mul(picked, w))), tf.maximum(tf.sum(w), 1e-8)) as tf.Scalar;
    });
  }

  /** Greedy continuation: the argmax token at each step, over the last contextLength tokens. */
  generateGreedy(prompt: readonly number[], maxTokens: number, { stopIds = [] }: { stopIds?: readonly number[] } = {}): number[] {
    const seq = [...prompt];
    const out: number[] = [];
    for (let i = 0; i < maxTokens; i++) {
      const window = seq.slice(-this.config.contextLength);
      const next = tf.tidy(() => {
        const logits = this.forward(tf.tensor2d([window], [1, window.length], 'int32'));
        return tf.argMax(tf.slice(logits, [window.length - 1, 0], [1, -1]), 1).dataSync()[0];
      });
      out.push(next);
      seq.push(next);
      if (stopIds.includes(next)) break;
    }
    return out;
  }

  /** Logits of the last position for a sequence, for comparing against other runtimes. */
  lastLogits(tokens: readonly number[]): Float32Array {
    return tf.tidy(() => {
      const logits = this.forward(tf.tensor2d([tokens as number[]], [1, tokens.length], 'int32'));
      return tf.slice(logits, [tokens.length - 1, 0], [1, -1]).dataSync() as Float32Array;
    });
  }
}
