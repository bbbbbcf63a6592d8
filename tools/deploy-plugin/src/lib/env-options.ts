import { assertEnvName, envPaths, type EnvPaths } from './environment';

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

/** env: option, else $LLMP_STAGE_ENV, else "staging" (pure). */
export function normalizeEnvOptions(options: EnvOptionsSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedEnvOptions {
  const name = assertEnvName(options.env ?? env['LLMP_STAGE_ENV'] ?? 'staging');
  return {
    root,
    env: name,
    composeFile: options.composeFile ?? 'docker-compose.staging.yml',
    envFile: options.envFile ?? 'deploy/env/.env.staging',
    paths: envPaths(root, name),
  };
}
