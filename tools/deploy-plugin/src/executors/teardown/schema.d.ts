import type { EnvOptionsSchema } from '../../lib/env-options';

export type TeardownExecutorSchema = EnvOptionsSchema;
