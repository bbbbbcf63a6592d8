import type { EnvOptionsSchema } from '../../environment/options';

export interface RollbackExecutorSchema extends EnvOptionsSchema {
  nginxTemplate?: string;
}
