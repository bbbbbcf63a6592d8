import type { EnvOptionsSchema } from '../../lib/env-options';

export interface StatusExecutorSchema extends EnvOptionsSchema {
  showCredentials?: boolean;
}
