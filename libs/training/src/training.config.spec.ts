import { loadServiceConfig } from '@llmp/service';
import { trainingEnv, trainingOptions } from './training.config';

const base = { LLMP_INTERNAL_SECRET: 'x'.repeat(32), LLMP_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/llmp' };

describe('model-training configuration', () => {
  it('puts the training directory under the data directory and reads the datasets URL and limits', () => {
    const options = trainingOptions(loadServiceConfig(trainingEnv, { ...base, LLMP_DATA_DIR: '/data', LLMP_STRUCTURING_URL: 'http://data-structuring:3000', LLMP_TRAINING_MAX_MEMORY_MB: '1024' }));
    expect(options).toMatchObject({
      trainingDir: '/data/training',
      structuringUrl: 'http://data-structuring:3000',
      limits: { memoryBytes: 1024 * 1024 * 1024, seconds: 3600 },
      supervision: { stallTimeoutMs: 120_000 },
      worker: true,
    });
    expect(trainingOptions(loadServiceConfig(trainingEnv, { ...base, LLMP_STRUCTURING_URL: 'http://s:3000', LLMP_TRAINING_DIR: '/models' })).trainingDir).toBe('/models');
  });

  it('names every bad variable at once', () => {
    const attempt = () => loadServiceConfig(trainingEnv, { ...base, LLMP_STRUCTURING_URL: 'data-structuring', LLMP_TRAINING_MAX_SECONDS: '-5', LLMP_TRAINING_WORKER: 'yes' });
    for (const name of ['LLMP_STRUCTURING_URL', 'LLMP_TRAINING_MAX_SECONDS', 'LLMP_TRAINING_WORKER']) expect(attempt).toThrow(name);
    expect(trainingOptions(loadServiceConfig(trainingEnv, base)).structuringUrl).toBe('http://127.0.0.1:3002');
  });
});
