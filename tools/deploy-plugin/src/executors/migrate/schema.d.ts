import type { EnvOptionsSchema } from '../../environment/options';

export interface MigrateExecutorSchema extends EnvOptionsSchema {
  release?: string;
}
