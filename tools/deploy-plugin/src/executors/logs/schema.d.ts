import type { EnvOptionsSchema } from '../../lib/env-options';

export interface LogsExecutorSchema extends EnvOptionsSchema {
  services?: string[];
  tail?: number;
  release?: string;
}
