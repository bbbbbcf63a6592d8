import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeFetch } from '../src/operations/edge-http';

export const root = join(__dirname, '../../..');

export interface Run {
  status: number | null;
  output: string;
}

/** One bounded command in the workspace root (no shell). */
export function run(command: string, args: string[], { timeoutMs = 10 * 60_000, env = {} }: { timeoutMs?: number; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CI: 'true', NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', ...env },
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function nx(args: string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Run {
  return run(join(root, 'node_modules/.bin/nx'), [...args, '--outputStyle=stream'], options);
}

export function docker(args: string[]): string {
  const r = run('docker', args, { timeoutMs: 60_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.output}`);
  return r.output.trim();
}

export function leftovers(env: string): string[] {
  return [
    ...docker(['ps', '--all', '--filter', `label=dev.llmp.env=${env}`, '--format', 'container {{.Names}}']).split('\n'),
    ...docker(['network', 'ls', '--filter', `label=dev.llmp.env=${env}`, '--format', 'network {{.Name}}']).split('\n'),
    ...docker(['volume', 'ls', '--filter', `label=dev.llmp.env=${env}`, '--format', 'volume {{.Name}}']).split('\n'),
  ].filter(Boolean);
}

export interface StageFiles {
  state: { port: number; expiresAt: string; active?: { id: string; images: Record<string, string> }; previous?: { id: string } };
  credentials: { basicAuth: { user: string; password: string }; users: Record<'admin' | 'manager' | 'user', string> };
  summary: { outcome: string; url: string; expiresAt: string; images: Record<string, string>; health: Array<{ component: string; status: string }>; failedStep?: string };
  log: string;
}

export function stageFiles(env: string): StageFiles {
  const read = (p: string) => readFileSync(join(root, p), 'utf8');
  return {
    state: JSON.parse(read(`.llmp/stage/${env}/state.json`)),
    credentials: JSON.parse(read(`.llmp/stage/${env}/credentials.json`)),
    summary: JSON.parse(read(`dist/deploy/${env}/summary.json`)),
    log: read(`dist/deploy/${env}/deployment.log`),
  };
}

/** One request to 127.0.0.1 on a fresh connection (spawnSync blocks the event loop, so pooled keep-alive sockets go stale unnoticed). */
export async function http(port: number, path: string, { auth, token, body }: { auth?: { user: string; password: string }; token?: string; body?: unknown } = {}) {
  const res = await edgeFetch({ baseUrl: `http://127.0.0.1:${port}`, basicAuth: auth }, { path, token, body, method: body === undefined ? 'GET' : 'POST', basicAuth: Boolean(auth), timeoutMs: 15_000 });
  return { status: res.status, text: res.text, release: res.headers.get('x-llmp-release'), json: () => JSON.parse(res.text) };
}

/** `nx` without blocking the event loop, so that a probe can run beside it; bounded like `run`. */
export function nxAsync(args: string[], { timeoutMs = 10 * 60_000, env = {} }: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(join(root, 'node_modules/.bin/nx'), [...args, '--outputStyle=stream'], {
      cwd: root,
      env: { ...process.env, CI: 'true', NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

export interface ProbeAnswer {
  at: number;
  path: string;
  status: number;
  release: string | null;
  error?: string;
}

/**
 * Requests /healthz and one authenticated API route through nginx every `everyMs` until `until`
 * settles (bounded by `maxMs`), as a user of the serving release would. Returns every answer.
 */
export async function probeWhile<T>(
  until: Promise<T>,
  { port, auth, token, everyMs = 200, maxMs = 12 * 60_000 }: { port: number; auth: { user: string; password: string }; token: string; everyMs?: number; maxMs?: number },
): Promise<{ result: T; answers: ProbeAnswer[] }> {
  let done = false;
  const finished = until.finally(() => {
    done = true;
  });
  const answers: ProbeAnswer[] = [];
  const ask = async (path: string, withAuth: boolean) => {
    try {
      const res = await edgeFetch({ baseUrl: `http://127.0.0.1:${port}`, basicAuth: withAuth ? auth : undefined }, { path, token: withAuth ? token : undefined, basicAuth: withAuth, timeoutMs: 10_000 });
      answers.push({ at: Date.now(), path, status: res.status, release: res.headers.get('x-llmp-release'), ...(res.status === 200 ? {} : { error: res.text.slice(0, 200) }) });
    } catch (error) {
      answers.push({ at: Date.now(), path, status: 0, release: null, error: (error as Error).message });
    }
  };
  const started = Date.now();
  // One client per route, as a user would be: a new request every `everyMs`, or as soon as a slower answer arrives.
  const client = async (path: string, withAuth: boolean) => {
    for (let i = 0; !done && Date.now() - started < maxMs && i < maxMs / everyMs; i++) {
      const sent = Date.now();
      await ask(path, withAuth);
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - sent))));
    }
  };
  const clients = [client('/healthz', false), client('/api/datasets/info', true)];
  const result = await finished;
  await Promise.all(clients);
  return { result, answers };
}

export interface LocalRegistry {
  address: string;
  stop(): Promise<void>;
}

/**
 * Debian's docker-registry (the distribution registry) on 127.0.0.1 only, storing into a fresh
 * temporary directory. An engine pushes to a registry on 127.0.0.1 without TLS by default.
 */
export async function startRegistry(port: number): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-e2e-registry-'));
  const config = join(dir, 'config.yml');
  writeFileSync(config, ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'));
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 50; i++) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))]);
    if (failed) throw new Error(`docker-registry did not start (${failed.message}): apt-get install docker-registry`);
    const res = await edgeFetch({ baseUrl: `http://127.0.0.1:${port}` }, { path: '/v2/', basicAuth: false, timeoutMs: 1000 }).catch(() => undefined);
    if (res?.status === 200) return { address: `127.0.0.1:${port}`, stop };
  }
  await stop();
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 10 s:\n${stderr.slice(-2000)}`);
}
