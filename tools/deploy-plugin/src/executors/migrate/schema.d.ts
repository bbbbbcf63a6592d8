import type { EnvOptionsSchema } from '../../lib/env-options';

export interface MigrateExecutorSchema extends EnvOptionsSchema {
  release?: string;
}
