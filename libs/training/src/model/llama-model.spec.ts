import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '../tokenizer/tokenizer';
import { tf, useWasmBackend } from './backend';
import { LlamaModel, defaultLlamaConfig, type LlamaConfig } from './llama-model';
import { Trainer, createBatcher, defaultAdamW, sequentialBatches, type Batch } from './trainer';

const tokenizer = new Tokenizer();
const tinyConfig = (over: Partial<LlamaConfig> = {}): LlamaConfig => ({ ...defaultLlamaConfig, vocabSize: tokenizer.vocabSize, dModel: 16, nHeads: 2, ffnHidden: 32, nLayers: 1, contextLength: 16, ...over });
const data = [tokenizer.encodeText('abcabcabd abcabcabd abcabcabd abcabcabd abcabcabd abcabcabd')];
const batches = (seed: number) => createBatcher(data, { batchSize: 4, seqLen: 16, seed });

function run(trainer: Trainer, next: () => Batch, steps: number): number[] {
  return Array.from({ length: steps }, () => trainer.trainStep(next()));
}

beforeAll(useWasmBackend);

describe('LlamaModel and Trainer', () => {
  it('runs on the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Trainer(LlamaModel.create(tinyConfig(), { seed: 7 }));
    const b = new Trainer(LlamaModel.create(tinyConfig(), { seed: 7 }));
    const c = new Trainer(LlamaModel.create(tinyConfig(), { seed: 8 }));
    const la = run(a, batches(1), 3);
    expect(run(b, batches(1), 3)).toEqual(la);
    expect(run(c, batches(1), 3)).not.toEqual(la);
    [a, b, c].forEach((t) => t.dispose());
  });

  it('starts near ln(vocab) and learns a repetitive text', () => {
    const trainer = new Trainer(LlamaModel.create(tinyConfig({ tiedEmbeddings: false }), { seed: 1 }), { ...defaultAdamW, learningRate: 1e-2 });
    const before = trainer.evaluate(sequentialBatches(data, { batchSize: 4, seqLen: 16 }));
    expect(Math.abs(before.loss - Math.log(tokenizer.vocabSize))).toBeLessThan(0.1);
    run(trainer, batches(2), 40);
    const after = trainer.evaluate(sequentialBatches(data, { batchSize: 4, seqLen: 16 }));
    expect(after.loss).toBeLessThan(before.loss / 2);
    expect(after.perplexity).toBeCloseTo(Math.exp(after.loss), 5);
    trainer.dispose();
  });

  it('ignores targets whose weight is zero and averages by weight', () => {
    const model = LlamaModel.create(tinyConfig(), { seed: 3 });
    const batch = batches(3)();
    const loss = (targets: Int32Array, weights: Float32Array) =>
      tf.tidy(() => model.loss(tf.tensor2d(batch.inputs, [4, 16], 'int32'), tf.tensor2d(targets, [4, 16], 'int32'), tf.tensor2d(weights, [4, 16])).dataSync()[0]);
    const weights = batch.weights.map((_, i) => (i % 3 === 0 ? 0 : 1));
    const otherTargets = batch.targets.map((t, i) => (i % 3 === 0 ? (t + 1) % 256 : t));
    const base = loss(batch.targets, weights);
    expect(loss(otherTargets, weights)).toBeCloseTo(base, 5);
    expect(loss(batch.targets, weights.map((w) => w * 2.5))).toBeCloseTo(base, 5);
    expect(loss(otherTargets, batch.weights)).not.toBeCloseTo(loss(batch.targets, batch.weights), 3);
    model.dispose();
  });

  it('resumes from a checkpoint exactly where it left off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'llmp-ckpt-'));
    try {
      const trainer = new Trainer(LlamaModel.create(tinyConfig(), { seed: 5 }));
      const next = batches(4);
      run(trainer, next, 3);
      await trainer.saveCheckpoint(dir);
      const laterBatches = [next(), next()];
      const expected = laterBatches.map((b) => trainer.trainStep(b));
      const restored = await Trainer.loadCheckpoint(dir);
      expect(restored.step).toBe(3);
      expect(laterBatches.map((b) => restored.trainStep(b))).toEqual(expected);
      trainer.dispose();
      restored.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a config whose heads do not divide the model width', () => {
    expect(() => LlamaModel.create(tinyConfig({ dModel: 18, nHeads: 4 }))).toThrow(/not a multiple of nHeads/);
  });
});
