import type { EnvOptionsSchema } from '../../lib/env-options';

export interface RollbackExecutorSchema extends EnvOptionsSchema {
  nginxTemplate?: string;
}
