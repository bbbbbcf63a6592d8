import type { EnvOptionsSchema } from '../../environment/options';

export interface SeedExecutorSchema extends EnvOptionsSchema {
  release?: string;
}
