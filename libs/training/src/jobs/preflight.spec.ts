import { useWasmBackend } from '../model/backend';
import { LlamaModel } from '../model/llama-model';
import { assertFits, DEFAULT_CALIBRATION, estimateJob } from './preflight';
import { MODEL_PRESETS, parameterCount } from './presets';

const hp = { nEpochs: 2, batchSize: 8, learningRateMultiplier: 1, seed: 1, contextLength: 64, vocabSize: 512, evalEvery: 10, checkpointEvery: 20 };
const limits = { memoryBytes: 2048 * 1024 * 1024, seconds: 3600 };

describe('pre-flight estimate', () => {
  beforeAll(useWasmBackend);

  it.each(MODEL_PRESETS.map((p) => [p.name, p] as const))('counts the parameters of %s as the model has them', (_name, preset) => {
    const config = { ...preset.shape, vocabSize: 512, contextLength: 64 };
    const model = LlamaModel.create(config);
    try {
      expect(parameterCount(config)).toBe(model.parameterCount);
    } finally {
      model.dispose();
    }
  });

  it('grows with the data, the epochs and the model, and fits a small job', () => {
    const small = { ...MODEL_PRESETS[0].shape, vocabSize: 512, contextLength: 64 };
    const base = estimateJob({ config: small, hyperparameters: hp, tokensPerEpoch: 10_000, threads: 2 }, DEFAULT_CALIBRATION, limits);
    expect(base).toMatchObject({ tokensPerEpoch: 10_000, totalSteps: 2 * Math.ceil(10_000 / (8 * 64)), limits });
    expect(() => assertFits(base)).not.toThrow();
    const moreData = estimateJob({ config: small, hyperparameters: hp, tokensPerEpoch: 100_000, threads: 2 }, DEFAULT_CALIBRATION, limits);
    const moreEpochs = estimateJob({ config: small, hyperparameters: { ...hp, nEpochs: 20 }, tokensPerEpoch: 10_000, threads: 2 }, DEFAULT_CALIBRATION, limits);
    const bigger = estimateJob({ config: { ...MODEL_PRESETS[2].shape, vocabSize: 512, contextLength: 64 }, hyperparameters: hp, tokensPerEpoch: 10_000, threads: 2 }, DEFAULT_CALIBRATION, limits);
    expect(moreData.seconds).toBeGreaterThan(base.seconds);
    expect(moreEpochs.seconds).toBeGreaterThan(base.seconds);
    expect(bigger.memoryBytes).toBeGreaterThan(base.memoryBytes);
    expect(bigger.seconds).toBeGreaterThan(base.seconds);
  });

  it('refuses what is over a limit with code, numbers and the estimate', () => {
    const estimate = estimateJob({ config: { ...MODEL_PRESETS[0].shape, vocabSize: 512, contextLength: 64 }, hyperparameters: hp, tokensPerEpoch: 10_000, threads: 2 }, DEFAULT_CALIBRATION, { memoryBytes: 1024 * 1024, seconds: 1 });
    expect(() => assertFits(estimate)).toThrow(expect.objectContaining({ kind: 'unprocessable', code: 'job_exceeds_limits', details: estimate }));
    expect(() => assertFits(estimate)).toThrow(/^this job would need about \d+ MB of memory \(the limit is 1 MB\) and about \d+ s \(the limit is 1 s\): /);
  });
});
