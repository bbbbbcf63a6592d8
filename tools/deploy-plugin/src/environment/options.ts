import { assertEnvName } from './names';
import { envPaths, type EnvPaths } from './paths';

/** Options every environment-level executor shares. */
export interface EnvOptionsSchema {
  env?: string;
  composeFile?: string;
  envFile?: string;
}

export interface NormalizedEnvOptions {
  root: string;
  env: string;
  composeFile: string;
  envFile: string;
  paths: EnvPaths;
}

/** The environment's dotenvx settings file unless the envFile option names another. */
export const DEFAULT_ENV_FILE = 'deploy/env/.env.staging';

/** env: option, else $LLMP_STAGE_ENV, else "staging" (pure). */
export function normalizeEnvOptions(options: EnvOptionsSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedEnvOptions {
  const name = assertEnvName(options.env ?? env['LLMP_STAGE_ENV'] ?? 'staging');
  return {
    root,
    env: name,
    composeFile: options.composeFile ?? 'docker-compose.staging.yml',
    envFile: options.envFile ?? DEFAULT_ENV_FILE,
    paths: envPaths(root, name),
  };
}
