import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from './backend';
import { FusedLlama } from './fused/fused-llama';
import { LlamaModel, type LlamaConfig } from './llama-model';
import { createRandom } from './random';
import type { WeightedTokens } from '../tokenizer/tokenizer';

export interface AdamWOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Gradients are scaled down so their global norm stays at or below this. */
  clipNorm: number;
}

export const defaultAdamW: AdamWOptions = { learningRate: 3e-3, beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.01, clipNorm: 1 };

export interface Batch {
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  batchSize: number;
  seqLen: number;
}

/**
 * Samples training windows from a stream of weighted token sequences laid end
 * to end. The seed fixes the sequence of batches; windows whose targets carry
 * no weight at all are skipped.
 */
export function createBatcher(examples: readonly WeightedTokens[], { batchSize, seqLen, seed }: { batchSize: number; seqLen: number; seed: number }): () => Batch {
  const ids: number[] = [];
  const weights: number[] = [];
  for (const e of examples) {
    ids.push(...e.ids);
    weights.push(...e.weights);
  }
  if (ids.length < seqLen + 1) throw new Error(`the data has ${ids.length} tokens, fewer than one window of ${seqLen + 1}`);
  if (!weights.some((w) => w > 0)) throw new Error('no token of the data carries loss weight');
  const rnd = createRandom(seed);
  return () => {
    const batch: Batch = {
      inputs: new Int32Array(batchSize * seqLen),
      targets: new Int32Array(batchSize * seqLen),
      weights: new Float32Array(batchSize * seqLen),
      batchSize,
      seqLen,
    };
    for (let row = 0; row < batchSize; row++) {
      let start = 0;
      for (let tries = 0; tries < 100; tries++) {
        start = rnd.int(ids.length - seqLen);
        if (weights.slice(start + 1, start + seqLen + 1).some((w) => w > 0)) break;
      }
      for (let i = 0; i < seqLen; i++) {
        batch.inputs[row * seqLen + i] = ids[start + i];
        batch.targets[row * seqLen + i] = ids[start + i + 1];
        batch.weights[row * seqLen + i] = weights[start + i + 1];
      }
    }
    return batch;
  };
}

/** Every consecutive window of the data once, for a validation loss that does not depend on sampling. */
export function sequentialBatches(examples: readonly WeightedTokens[], { batchSize, seqLen }: { batchSize: number; seqLen: number }): Batch[] {
  const ids = examples.flatMap((e) => e.ids);
  const weights = examples.flatMap((e) => e.weights);
  const starts: number[] = [];
  for (let s = 0; s + seqLen + 1 <= ids.length; s += seqLen) starts.push(s);
  const batches: Batch[] = [];
  for (let i = 0; i < starts.length; i += batchSize) {
    const rows = starts.slice(i, i + batchSize);
    const batch: Batch = { inputs: new Int32Array(rows.length * seqLen), targets: new Int32Array(rows.length * seqLen), weights: new Float32Array(rows.length * seqLen), batchSize: rows.length, seqLen };
    rows.forEach((start, row) => {
      for (let j = 0; j < seqLen; j++) {
        batch.inputs[row * seqLen + j] = ids[start + j];
        batch.targets[row * seqLen + j] = ids[start + j + 1];
        batch.weights[row * seqLen + j] = weights[start + j + 1];
      }
    });
    batches.push(batch);
  }
  return batches;
}

export interface Gradients {
  /** Per-parameter gradients of the batch's weighted mean loss, in parameter order. */
  values: Float32Array[];
  loss: number;
  /** Sum of the batch's target weights, to average gradients across workers by weight. */
  weight: number;
}

/**
 * Owns a model and its AdamW state. `step` computes gradients and applies them;
 * `gradients` / `apply` split the two so other threads can compute gradients
 * on parts of a batch. Loss and gradients come from the fused kernels
 * (`FusedLlama`); the tfjs model is the reference definition, used for
 * generation and export. The trainer owns the model it is given: read it
 * through `trainer.model`, which brings its weights up to date only then.
 */
export class Trainer {
  step = 0;
  private readonly names: string[];
  // Master weights and AdamW moments live in plain arrays: the update is a few
  // multiply-adds per weight, far cheaper in one JS loop than as ~10 tfjs
  // kernels per parameter tensor.
  private readonly w: Float32Array[];
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly decays: boolean[];
  private readonly fused: FusedLlama;
  private modelStale = false;

  constructor(
    private readonly reference: LlamaModel,
    readonly optimizer: AdamWOptions = defaultAdamW,
  ) {
    this.names = [...reference.params.keys()];
    this.w = this.names.map((n) => reference.params.get(n)!.dataSync() as Float32Array);
    this.m = this.w.map((w) => new Float32Array(w.length));
    this.v = this.w.map((w) => new Float32Array(w.length));
    // Decoupled decay, and none on norm gains (1-D), as is usual for llama-style models.
    this.decays = this.names.map((n) => reference.params.get(n)!.rank > 1);
    this.fused = new FusedLlama(reference.config);
    this.fused.setWeights(this.w);
  }

  /** The tfjs model with the current weights. */
  get model(): LlamaModel {
    if (this.modelStale) {
      tf.tidy(() => this.names.forEach((n, i) => this.reference.params.get(n)!.assign(tf.tensor(this.w[i], this.reference.params.get(n)!.shape))));
      this.modelStale = false;
    }
    return this.reference;
  }

  trainStep(batch: Batch, { learningRate }: { learningRate?: number } = {}): number {
    const { loss, values } = this.gradients(batch);
    this.apply(values, { learningRate });
    return loss;
  }

  gradients(batch: Batch): Gradients {
    return this.fused.lossAndGradients(batch);
  }

  apply(gradients: readonly Float32Array[], { learningRate = this.optimizer.learningRate }: { learningRate?: number } = {}): void {
    const { beta1, beta2, epsilon, weightDecay, clipNorm } = this.optimizer;
    this.step += 1;
    const bc1 = 1 - Math.pow(beta1, this.step);
    const bc2 = 1 - Math.pow(beta2, this.step);
    let sq = 0;
    for (const g of gradients) for (let j = 0; j < g.length; j++) sq += g[j] * g[j];
    const norm = Math.sqrt(sq);
    const scale = norm > clipNorm ? clipNorm / norm : 1;
    gradients.forEach((g, i) => {
      const w = this.w[i];
      const m = this.m[i];
      const v = this.v[i];
      const keep = 1 - learningRate * (this.decays[i] ? weightDecay : 0);
      for (let j = 0; j < w.length; j++) {
        const gj = g[j] * scale;
        m[j] = beta1 * m[j] + (1 - beta1) * gj;
        v[j] = beta2 * v[j] + (1 - beta2) * gj * gj;
        w[j] = w[j] * keep - (learningRate * (m[j] / bc1)) / (Math.sqrt(v[j] / bc2) + epsilon);
      }
    });
    this.setWeights(this.w);
  }

  evaluate(batches: readonly Batch[]): { loss: number; perplexity: number } {
    let total = 0;
    let weight = 0;
    for (const batch of batches) {
      const w = batch.weights.reduce((a, b) => a + b, 0);
      if (w === 0) continue;
      total += this.fused.loss(batch) * w;
      weight += w;
    }
    const loss = weight > 0 ? total / weight : NaN;
    return { loss, perplexity: Math.exp(loss) };
  }

  /** Current parameter values, in parameter order. */
  getWeights(): Float32Array[] {
    return this.w.map((w) => w.slice());
  }

  setWeights(values: readonly Float32Array[]): void {
    values.forEach((v, i) => {
      if (v !== this.w[i]) this.w[i].set(v);
    });
    this.fused.setWeights(this.w);
    this.modelStale = true;
  }

  get parameterNames(): readonly string[] {
    return this.names;
  }

  /** Writes weights, AdamW moments and the step to a directory (replacing a previous checkpoint there). */
  async saveCheckpoint(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const entries: { name: string; shape: number[]; offset: number }[] = [];
    const chunks: Float32Array[] = [];
    let offset = 0;
    const add = (name: string, data: Float32Array) => {
      entries.push({ name, shape: this.reference.params.get(name.slice(name.indexOf('/') + 1))!.shape, offset });
      chunks.push(data);
      offset += data.length;
    };
    this.names.forEach((n, i) => {
      add(`param/${n}`, this.w[i]);
      add(`adam_m/${n}`, this.m[i]);
      add(`adam_v/${n}`, this.v[i]);
    });
    const all = new Float32Array(offset);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    const manifest = { format: 'llmp-checkpoint-1', config: this.reference.config, optimizer: this.optimizer, step: this.step, tensors: entries };
    // Write to temporary names first so a crash never leaves a half-written checkpoint.
    await writeFile(join(dir, 'tensors.bin.tmp'), Buffer.from(all.buffer, all.byteOffset, all.byteLength));
    await writeFile(join(dir, 'checkpoint.json.tmp'), JSON.stringify(manifest, null, 2));
    await rename(join(dir, 'tensors.bin.tmp'), join(dir, 'tensors.bin'));
    await rename(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
  }

  static async loadCheckpoint(dir: string): Promise<Trainer> {
    const manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as {
      format: string;
      config: LlamaConfig;
      optimizer: AdamWOptions;
      step: number;
      tensors: { name: string; shape: number[]; offset: number }[];
    };
    if (manifest.format !== 'llmp-checkpoint-1') throw new Error(`${dir} holds an unknown checkpoint format "${manifest.format}"`);
    const buf = await readFile(join(dir, 'tensors.bin'));
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const slice = (name: string) => {
      const e = manifest.tensors.find((t) => t.name === name);
      if (!e) throw new Error(`checkpoint ${dir} lacks tensor ${name}`);
      return all.subarray(e.offset, e.offset + e.shape.reduce((a, b) => a * b, 1));
    };
    const weights = new Map<string, Float32Array>();
    for (const e of manifest.tensors) if (e.name.startsWith('param/')) weights.set(e.name.slice('param/'.length), slice(e.name));
    const trainer = new Trainer(LlamaModel.fromWeights(manifest.config, weights), manifest.optimizer);
    trainer.names.forEach((n, i) => {
      trainer.m[i].set(slice(`adam_m/${n}`));
      trainer.v[i].set(slice(`adam_v/${n}`));
    });
    trainer.step = manifest.step;
    return trainer;
  }

  dispose(): void {
    this.reference.dispose();
  }
}
