import type { EnvOptionsSchema } from '../../lib/env-options';

export interface HealthcheckExecutorSchema extends EnvOptionsSchema {
  release?: string;
  attempts?: number;
}
