import type { EnvOptionsSchema } from '../../lib/env-options';

export interface SeedExecutorSchema extends EnvOptionsSchema {
  release?: string;
}
