import type { EnvOptionsSchema } from '../../environment/options';

export interface StatusExecutorSchema extends EnvOptionsSchema {
  showCredentials?: boolean;
}
