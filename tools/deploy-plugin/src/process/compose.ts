import * as dockerCompose from 'docker-compose';
import type { IDockerComposeOptions, IDockerComposeResult } from 'docker-compose';
import { recorderOf, type CommandRecorder } from './runner';
import { formatCommand, ShellError, type ShellResult } from './shell';

export interface ComposeTarget {
  /** Directory the compose file paths are relative to (the workspace root). */
  cwd: string;
  files: readonly string[];
  project: string;
  profiles?: readonly string[];
  /** Variables for interpolation and for the containers; merged over process.env. */
  env?: Record<string, string>;
}

/** docker-compose (npm) options for one project (pure). */
export function composeOptions(target: ComposeTarget, commandOptions: (string | string[])[] = [], baseEnv: NodeJS.ProcessEnv = process.env): IDockerComposeOptions {
  return {
    cwd: target.cwd,
    config: [...target.files],
    composeOptions: [['--project-name', target.project], ...(target.profiles ?? []).map((p) => ['--profile', p])],
    commandOptions,
    env: { ...baseEnv, ...target.env },
    log: false,
  };
}

/**
 * The argv after `docker` that the docker-compose package builds for one call (pure): project and
 * profiles, then the files, then the command, its options and arguments. Logs and errors show
 * exactly this, so the command a log names is the command that ran.
 */
export function composeArgv(target: ComposeTarget, command: string, commandOptions: (string | string[])[], args: readonly string[] = []): string[] {
  const options = composeOptions(target, commandOptions, {});
  return ['compose', ...(options.composeOptions ?? []).flat(), ...target.files.flatMap((f) => ['-f', f]), command, ...commandOptions.flat(), ...args];
}

/** How a compose call looks on the command line, for logs and errors (pure). */
export function composeDisplay(target: ComposeTarget, command: string, commandOptions: (string | string[])[], args: readonly string[] = []): string {
  return formatCommand('docker', composeArgv(target, command, commandOptions, args));
}

export interface UpOptions {
  services?: readonly string[];
  wait?: boolean;
  waitTimeoutS?: number;
  noDeps?: boolean;
  forceRecreate?: boolean;
}

/** argv after `up` (pure). */
export function upCommandOptions({ wait = true, waitTimeoutS, noDeps, forceRecreate }: UpOptions): (string | string[])[] {
  return [
    '--detach',
    ...(wait ? ['--wait'] : []),
    ...(wait && waitTimeoutS ? [['--wait-timeout', String(waitTimeoutS)]] : []),
    ...(noDeps ? ['--no-deps'] : []),
    ...(forceRecreate ? ['--force-recreate'] : []),
    '--remove-orphans',
  ];
}

export interface Compose {
  readonly target: ComposeTarget;
  up(options?: UpOptions): Promise<ShellResult>;
  /** One-shot container (`run --rm --no-deps -T`), resolving with its exit code and output; throws when it fails. */
  run(service: string, command?: readonly string[], options?: { env?: Record<string, string> }): Promise<ShellResult>;
  down(options?: { volumes?: boolean; timeoutS?: number }): Promise<ShellResult>;
  logs(services: readonly string[], options?: { tail?: number }): Promise<ShellResult>;
  ps(): Promise<Array<{ name: string; service: string; state: string; health: string }>>;
}

export interface ComposeDeps {
  /** Where each call is recorded; nx's verbose output without a deployment log. */
  log?: CommandRecorder;
  secrets?: () => readonly string[];
  hint?: string;
}

export function createCompose(target: ComposeTarget, { log, secrets = () => [], hint }: ComposeDeps = {}): Compose {
  const recorder = recorderOf(log);
  /** Every call goes through the package's one entry point with the argv it displays. */
  async function call(
    command: string,
    commandOptions: (string | string[])[],
    { args = [], allowFailure = false }: { args?: readonly string[]; allowFailure?: boolean } = {},
  ): Promise<ShellResult> {
    const display = composeDisplay(target, command, commandOptions, args);
    const started = Date.now();
    let raw: IDockerComposeResult;
    try {
      raw = await dockerCompose.execCompose(command, [...args], composeOptions(target, commandOptions));
    } catch (error) {
      if (error instanceof Error) {
        const result = { exitCode: 127, stdout: '', stderr: error.message, durationMs: Date.now() - started };
        recorder.command(display, result);
        throw new ShellError({ command: display, result, hint: 'is the docker CLI with the Compose v2 plugin installed? (`docker compose version`)' });
      }
      raw = error as IDockerComposeResult;
    }
    const result: ShellResult = { exitCode: raw.exitCode ?? 1, stdout: raw.out ?? '', stderr: raw.err ?? '', durationMs: Date.now() - started };
    recorder.command(display, result);
    if (result.exitCode !== 0 && !allowFailure) throw new ShellError({ command: display, result, hint, secrets: secrets() });
    return result;
  }

  return {
    target,
    up(options = {}) {
      return call('up', upCommandOptions(options), { args: [...(options.services ?? [])] });
    },
    run(service, command = [], { env = {} } = {}) {
      const commandOptions: (string | string[])[] = ['--rm', '--no-deps', '-T', ...Object.entries(env).map(([k, v]) => ['-e', `${k}=${v}`])];
      return call('run', commandOptions, { args: [service, ...command] });
    },
    down({ volumes = false, timeoutS = 10 } = {}) {
      return call('down', ['--remove-orphans', ['--timeout', String(timeoutS)], ...(volumes ? ['--volumes'] : [])]);
    },
    logs(services, { tail = 200 } = {}) {
      return call('logs', ['--no-color', '--timestamps', ['--tail', String(tail)]], { args: services, allowFailure: true });
    },
    async ps() {
      const result = await call('ps', ['--all', ['--format', 'json']], { allowFailure: true });
      return parsePsJson(result.stdout);
    },
  };
}

/** `docker compose ps --format json` prints one JSON object per line (2.21+) or one array (older) (pure). */
export function parsePsJson(stdout: string): Array<{ name: string; service: string; state: string; health: string }> {
  const text = stdout.trim();
  if (!text) return [];
  const rows: Array<Record<string, unknown>> = text.startsWith('[') ? JSON.parse(text) : text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return rows.map((r) => ({ name: String(r['Name'] ?? ''), service: String(r['Service'] ?? ''), state: String(r['State'] ?? ''), health: String(r['Health'] ?? '') }));
}
