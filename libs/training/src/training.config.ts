import path from 'node:path';
import { z } from '@llmp/config';
import type { TrainingOptions } from './training.app';

const positiveInt = (message: string) => z.coerce.number({ message }).int(message).positive(message);

/** The variables of model-training beside the shared service ones. */
export const trainingEnv = z.object({
  LLMP_DATA_DIR: z.string().default('.llmp/data'),
  /** Jobs' records, checkpoints and models; a volume in staging (default `$LLMP_DATA_DIR/training`). */
  LLMP_TRAINING_DIR: z.string().optional(),
  /** The datasets service the jobs read their dataset versions from (default: data-structuring's own port on this host, as the gateway assumes). */
  LLMP_STRUCTURING_URL: z.url({ message: 'must be the URL of the data-structuring service, e.g. http://data-structuring:3000' }).default('http://127.0.0.1:3002'),
  LLMP_TRAINING_MAX_MEMORY_MB: positiveInt('must be a positive whole number of megabytes').default(2048),
  LLMP_TRAINING_MAX_SECONDS: positiveInt('must be a positive whole number of seconds').default(3600),
  LLMP_TRAINING_STALL_TIMEOUT_S: positiveInt('must be a positive whole number of seconds').default(120),
  LLMP_TRAINING_THREADS: positiveInt('must be a positive whole number').optional(),
  /** 0 runs the API only: jobs are run by other replicas. */
  LLMP_TRAINING_WORKER: z.enum(['0', '1'], { message: 'must be 0 or 1' }).default('1'),
});
export type TrainingEnv = z.infer<typeof trainingEnv>;

export function trainingOptions(config: TrainingEnv): TrainingOptions {
  return {
    trainingDir: config.LLMP_TRAINING_DIR ?? path.join(config.LLMP_DATA_DIR, 'training'),
    structuringUrl: config.LLMP_STRUCTURING_URL,
    limits: { memoryBytes: config.LLMP_TRAINING_MAX_MEMORY_MB * 1024 * 1024, seconds: config.LLMP_TRAINING_MAX_SECONDS },
    supervision: { stallTimeoutMs: config.LLMP_TRAINING_STALL_TIMEOUT_S * 1000 },
    threads: config.LLMP_TRAINING_THREADS,
    worker: config.LLMP_TRAINING_WORKER === '1',
  };
}
