import type { EnvOptionsSchema } from '../../environment/options';

export type TeardownExecutorSchema = EnvOptionsSchema;
