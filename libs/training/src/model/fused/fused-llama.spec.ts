import { Tokenizer } from '../../tokenizer/tokenizer';
import { tf, useWasmBackend } from '../backend';
import { LlamaModel, defaultLlamaConfig, type LlamaConfig } from '../llama-model';
import { createBatcher, type Batch } from '../trainer';
import { FusedLlama } from './fused-llama';
import { Kernels } from './kernels';

const tokenizer = new Tokenizer();
const text = 'The pump stops when the valve closes. Restart it after 30 s; check the seal, then the valve again. ';
const data = [tokenizer.encodeText(text.repeat(6))];
const config = (over: Partial<LlamaConfig> = {}): LlamaConfig => ({ ...defaultLlamaConfig, vocabSize: tokenizer.vocabSize, dModel: 32, nHeads: 4, ffnHidden: 44, nLayers: 2, contextLength: 24, ...over });

/** The reference: tfjs's autodiff through LlamaModel.loss. */
function tfjsLossAndGradients(model: LlamaModel, batch: Batch) {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  const vars = [...model.params.values()];
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => model.loss(tf.tensor2d(batch.inputs, shape, 'int32'), tf.tensor2d(batch.targets, shape, 'int32'), tf.tensor2d(batch.weights, shape)), vars);
    return { loss: value.dataSync()[0], values: vars.map((v) => grads[v.name].dataSync() as Float32Array) };
  });
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / Math.max(scale, 1e-12);
}

beforeAll(useWasmBackend);

describe('FusedLlama', () => {
  it.each([
    ['tied embeddings, one chunk', config(), 1024],
    ['untied embeddings', config({ tiedEmbeddings: false }), 1024],
    ['rows split over chunks of two', config(), 48],
    ['one head, odd widths', config({ nHeads: 1, dModel: 18, ffnHidden: 30, nLayers: 1 }), 1024],
  ])('gives the loss and gradients of tfjs autodiff (%s)', (_, c, chunkTokens) => {
    const model = LlamaModel.create(c, { seed: 11 });
    const batch = createBatcher(data, { batchSize: 5, seqLen: c.contextLength, seed: 2 })();
    batch.weights.forEach((_, i) => (batch.weights[i] = i % 7 === 0 ? 0 : i % 5 === 0 ? 2.5 : 1));
    const expected = tfjsLossAndGradients(model, batch);
    const fused = new FusedLlama(c, chunkTokens);
    fused.setWeights([...model.weights().values()]);
    const got = fused.lossAndGradients(batch);
    expect(got.loss).toBeCloseTo(expected.loss, 4);
    expect(got.weight).toBeCloseTo(batch.weights.reduce((a, b) => a + b, 0), 4);
    expect(fused.parameterNames).toEqual([...model.params.keys()]);
    const off = got.values.map((g, i) => `${fused.parameterNames[i]} ${maxRelativeError(g, expected.values[i]).toExponential(1)}`).filter((_, i) => maxRelativeError(got.values[i], expected.values[i]) >= 1e-3);
    expect(off).toEqual([]);
    expect(fused.loss(batch)).toBeCloseTo(expected.loss, 4);
    model.dispose();
  });

  it('handles windows shorter than the context and a later change of window length', () => {
    const c = config();
    const model = LlamaModel.create(c, { seed: 3 });
    const fused = new FusedLlama(c);
    fused.setWeights([...model.weights().values()]);
    for (const seqLen of [8, 24, 5]) {
      const batch = createBatcher(data, { batchSize: 3, seqLen, seed: seqLen })();
      const expected = tfjsLossAndGradients(model, batch);
      const got = fused.lossAndGradients(batch);
      expect(got.loss).toBeCloseTo(expected.loss, 4);
      got.values.forEach((g, i) => expect(maxRelativeError(g, expected.values[i])).toBeLessThan(1e-3));
    }
    model.dispose();
  });

  it('refuses token ids outside the vocabulary and windows over the context', () => {
    const c = config();
    const fused = new FusedLlama(c);
    const batch = createBatcher(data, { batchSize: 2, seqLen: 8, seed: 1 })();
    batch.inputs[3] = c.vocabSize;
    expect(() => fused.lossAndGradients(batch)).toThrow(`token id ${c.vocabSize} is outside the vocabulary of ${c.vocabSize}`);
    const long = createBatcher(data, { batchSize: 1, seqLen: 30, seed: 1 })();
    expect(() => fused.loss(long)).toThrow('windows of 30 tokens exceed the model\'s context of 24');
  });
});

describe('Kernels.matmul', () => {
  it('multiplies row-major and transposed operands with every tail of rows and columns', () => {
    const k = new Kernels();
    for (const [m, kk, n] of [
      [1, 1, 1],
      [4, 3, 8],
      [7, 5, 13],
      [9, 16, 12],
      [33, 17, 261],
    ]) {
      k.reserve(64 + 3 * (m * kk + kk * n + m * n));
      const f = k.f32;
      const a = 16;
      const b = a + m * kk + 4;
      const c = b + kk * n + 4;
      for (let i = 0; i < m * kk; i++) f[a + i] = Math.sin(i + 1);
      for (let i = 0; i < kk * n; i++) f[b + i] = Math.cos(i * 0.7);
      const expected = (i: number, j: number, transposedA: boolean) => {
        let s = 0;
        for (let q = 0; q < kk; q++) s += (transposedA ? f[a + q * m + i] : f[a + i * kk + q]) * f[b + q * n + j];
        return s;
      };
      k.matmul(a, kk, 1, b, n, c, n, m, kk, n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(f[c + i * n + j]).toBeCloseTo(expected(i, j, false), 4);
      // The same memory read as the transpose of an kk × m matrix, accumulated onto the previous result.
      const before = f.slice(c, c + m * n);
      k.matmul(a, 1, m, b, n, c, n, m, kk, n, true);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(f[c + i * n + j]).toBeCloseTo(before[i * n + j] + expected(i, j, true), 4);
    }
  });
});
