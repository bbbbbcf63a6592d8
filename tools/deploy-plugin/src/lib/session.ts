import { join } from 'node:path';
import { createDeploymentLog, type DeploymentLog } from './deployment-log';
import type { NormalizedEnvOptions } from './env-options';
import { readJson, secretsOf, type Credentials, type EnvState } from './environment';
import { loggedSh, type Sh } from './exec';
import { loadSettings, mergeSettings, type LoadedSettings } from './settings';
import type { StackDeps } from './stack';
import { chooseRenderer, createStepRunner, type StepRunner } from './steps';

export const SETTING_KEYS = [
  'LLMP_STAGE_TTL_HOURS',
  'LLMP_STAGE_BASIC_AUTH_USER',
  'LLMP_STAGE_BASIC_AUTH_PASSWORD',
  'LLMP_SEED_ADMIN_PASSWORD',
  'LLMP_SEED_MANAGER_PASSWORD',
  'LLMP_SEED_USER_PASSWORD',
  'LLMP_POSTGRES_PASSWORD',
  'LLMP_INTERNAL_SECRET',
  'LLMP_LOG_LEVEL',
] as const;

/** What an environment-level executor works with: settings, stored state and credentials, a log, a step runner. */
export interface Session {
  o: NormalizedEnvOptions;
  settings: LoadedSettings;
  /** File settings overridden by process environment variables. */
  values: Record<string, string>;
  state?: EnvState;
  credentials?: Credentials;
  log: DeploymentLog;
  sh: Sh;
  steps: StepRunner;
  stack: StackDeps;
  secrets: () => string[];
}

/** A log that writes nothing, for read-only commands (status, logs). */
function nullLog(path: string): DeploymentLog {
  return { path, write: () => undefined, step: () => undefined, command: () => undefined, addSecrets: () => undefined };
}

export function openSession(
  o: NormalizedEnvOptions,
  { scope, processEnv = process.env, writeLog = true }: { scope: string; processEnv?: NodeJS.ProcessEnv; writeLog?: boolean },
): Session {
  const settings = loadSettings(join(o.root, o.envFile), processEnv);
  const values = mergeSettings(settings.values, processEnv, SETTING_KEYS);
  const credentials = readJson<Credentials>(o.paths.credentialsFile);
  const known = new Set<string>([...settings.secretValues, ...secretsOf(credentials)]);
  for (const k of SETTING_KEYS) if (/PASSWORD|SECRET/.test(k) && values[k]) known.add(values[k]);
  const secrets = () => [...known];
  const log = writeLog ? createDeploymentLog({ path: o.paths.logFile, secrets: secrets() }) : nullLog(o.paths.logFile);
  const sh = loggedSh(log);
  const steps = createStepRunner({ renderer: chooseRenderer(processEnv, process.stdout.isTTY), scope, log });
  return {
    o,
    settings,
    values,
    state: readJson<EnvState>(o.paths.stateFile),
    credentials,
    log,
    sh,
    steps,
    secrets,
    stack: { root: o.root, env: o.env, paths: o.paths, composeFile: o.composeFile, sh, log, secrets },
  };
}

/** Registers more secret values with the session (after credentials are generated). */
export function addSecrets(session: Session, values: readonly string[]): void {
  const current = new Set(session.secrets());
  for (const v of values) current.add(v);
  const all = [...current];
  session.secrets = () => all;
  session.stack.secrets = session.secrets;
  session.log.addSecrets(all);
}
