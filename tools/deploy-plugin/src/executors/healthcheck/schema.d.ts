import type { EnvOptionsSchema } from '../../environment/options';

export interface HealthcheckExecutorSchema extends EnvOptionsSchema {
  release?: string;
  attempts?: number;
}
