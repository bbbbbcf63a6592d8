import type { EnvOptionsSchema } from '../../environment/options';

export interface LogsExecutorSchema extends EnvOptionsSchema {
  services?: string[];
  tail?: number;
  release?: string;
}
