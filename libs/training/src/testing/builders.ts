import { newId } from '@llmp/core';
import type { NewJob } from '../jobs/job.store';

export function aJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: newId('ftjob'),
    ownerId: 'usr_alice',
    datasetVersionId: 'dsv_demo',
    hasValidation: true,
    model: 'llmp-llama-tiny',
    suffix: null,
    hyperparameters: { nEpochs: 2, batchSize: 4, learningRateMultiplier: 1, seed: 1, contextLength: 32, vocabSize: 300, evalEvery: 4, checkpointEvery: 6 },
    modelConfig: { vocabSize: 300, dModel: 32, nLayers: 2, nHeads: 4, ffnHidden: 86, contextLength: 32, ropeTheta: 10000, rmsEps: 1e-5, tiedEmbeddings: true },
    estimate: { parameters: 30_000, memoryBytes: 200_000_000, tokensPerEpoch: 3000, totalSteps: 48, seconds: 20, limits: { memoryBytes: 2 ** 31, seconds: 3600 } },
    workDir: '/tmp/llmp-training-test/jobs/x',
    trainer: 'built-in',
    maxAttempts: 3,
    ...overrides,
  };
}
