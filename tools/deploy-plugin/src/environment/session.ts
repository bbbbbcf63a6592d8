import { join } from 'node:path';
import { createDeploymentLog, type DeploymentLog } from '../process/deployment-log';
import { createRunner, type Sh } from '../process/runner';
import { chooseRenderer, createStepRunner, type StepRunner } from '../process/steps';
import { secretsOf, type Credentials } from './credentials';
import type { NormalizedEnvOptions } from './options';
import { loadSettings, mergeSettings, parseStageSettings, secretSettingValues, SETTING_KEYS, type LoadedSettings, type StageSettings } from './settings';
import type { EnvPaths } from './paths';
import { readJson, type EnvState } from './state';

/** The environment's settings file, overridden by the process environment (CI variables win). */
export interface SettingsSource {
  file: LoadedSettings;
  /** File settings overridden by process environment variables, as text. */
  values: Record<string, string>;
}

export function readSettingsSource({ root, envFile }: { root: string; envFile: string }, processEnv: NodeJS.ProcessEnv = process.env): SettingsSource {
  const file = loadSettings(join(root, envFile), processEnv);
  return { file, values: mergeSettings(file.values, processEnv, SETTING_KEYS) };
}

/** What the operations on one environment's compose projects and nginx need. */
export interface StackDeps {
  root: string;
  env: string;
  paths: EnvPaths;
  composeFile: string;
  sh: Sh;
  log?: DeploymentLog;
  secrets: () => readonly string[];
}

/** What an environment-level executor works with: settings, stored state and credentials, a log, a step runner. */
export interface Session {
  o: NormalizedEnvOptions;
  /** What the dotenvx file held (which values were encrypted, which could not be decrypted). */
  file: LoadedSettings;
  settings: StageSettings;
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
  { scope, processEnv = process.env, writeLog = true, source = readSettingsSource(o, processEnv) }: { scope: string; processEnv?: NodeJS.ProcessEnv; writeLog?: boolean; source?: SettingsSource },
): Session {
  const settings = parseStageSettings(source.values, `the settings of ${o.envFile} and the process environment`);
  const credentials = readJson<Credentials>(o.paths.credentialsFile);
  const known = new Set<string>([...source.file.secretValues, ...secretsOf(credentials), ...secretSettingValues(settings)]);
  const secrets = () => [...known];
  const log = writeLog ? createDeploymentLog({ path: o.paths.logFile, secrets: secrets() }) : nullLog(o.paths.logFile);
  const sh = createRunner(writeLog ? log : undefined);
  const steps = createStepRunner({ renderer: chooseRenderer(processEnv, process.stdout.isTTY), scope, log });
  return {
    o,
    file: source.file,
    settings,
    state: readJson<EnvState>(o.paths.stateFile),
    credentials,
    log,
    sh,
    steps,
    secrets,
    stack: { root: o.root, env: o.env, paths: o.paths, composeFile: o.composeFile, sh, log: writeLog ? log : undefined, secrets },
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
