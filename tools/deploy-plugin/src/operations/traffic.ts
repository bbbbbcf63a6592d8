import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { htpasswdLine, htpasswdSalt } from '../environment/credentials';
import { saveEnvironment } from '../environment/discovery';
import { writeVolumeFiles } from '../environment/engine-store';
import { names } from '../environment/names';
import type { EnvState } from '../environment/state';
import { edgeFetch, retry } from './edge-http';
import { renderNginxConf } from './nginx-config';
import type { StackDeps } from '../environment/session';

export interface NginxFilesInput {
  template: string;
  active?: string;
  reachable: readonly string[];
  expiresAt: string;
  basicAuth?: { user: string; password: string };
  /** Image of the short-lived container that writes the environment's nginx volume. */
  image: string;
}

/**
 * Renders default.conf (and htpasswd when given) into the environment's nginx volume, keeping a
 * copy in the local cache; returns whether the cached copy changed.
 */
export async function writeNginxFiles(d: StackDeps, { template, active, reachable, expiresAt, basicAuth, image }: NginxFilesInput): Promise<boolean> {
  mkdirSync(d.paths.nginxDir, { recursive: true, mode: 0o755 });
  const conf = renderNginxConf({ template: readFileSync(join(d.root, template), 'utf8'), env: d.env, active, reachable, expiresAt });
  const files = [{ name: 'default.conf', content: conf, mode: 0o644 }];
  let changed = writeIfChanged(join(d.paths.nginxDir, 'default.conf'), conf, 0o644);
  if (basicAuth) {
    const path = join(d.paths.nginxDir, 'htpasswd');
    const salt = existsSync(path) ? htpasswdSalt(readFileSync(path, 'utf8'), basicAuth.user) : undefined;
    const line = htpasswdLine(basicAuth.user, basicAuth.password, salt) + '\n';
    // nginx workers (an unprivileged user in the container) read it at request time; it holds only a salted SHA-512 crypt hash
    files.push({ name: 'htpasswd', content: line, mode: 0o644 });
    changed = writeIfChanged(path, line, 0o644) || changed;
  }
  await writeVolumeFiles(d.sh, { volume: names.nginxVolume(d.env), image }, files);
  return changed;
}

function writeIfChanged(path: string, content: string, mode: number): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return false;
  atomicWrite(path, content, mode);
  return true;
}

function atomicWrite(path: string, content: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export async function containerOf(d: StackDeps, project: string, service: string): Promise<string | undefined> {
  const r = await d.sh('docker', ['ps', '--quiet', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`], { allowFailure: true });
  return r.stdout.trim().split('\n').filter(Boolean)[0];
}

/**
 * Validates the rendered config inside the running nginx and reloads it. Then waits until the new
 * config answers: the default route names `expectRelease`, or a request for `expectReachable` gets it.
 */
export async function reloadNginx(d: StackDeps, { port, expectRelease, expectReachable }: { port: number; expectRelease?: string; expectReachable?: string }): Promise<void> {
  const nginx = await containerOf(d, names.edgeProject(d.env), 'nginx');
  if (!nginx) throw new Error(`the nginx container of ${names.edgeProject(d.env)} is not running → npx nx run deploy:stage recreates it`);
  await d.sh('docker', ['exec', nginx, 'nginx', '-t', '-q'], { hint: `the generated nginx config is invalid; a copy is in ${d.paths.nginxDir}` });
  await d.sh('docker', ['exec', nginx, 'nginx', '-s', 'reload']);
  const expected = expectReachable ?? expectRelease;
  if (expected === undefined) return;
  await retry(
    async () => {
      const res = await edgeFetch({ baseUrl: `http://127.0.0.1:${port}`, release: expectReachable }, { path: '/nginx-health', basicAuth: false, timeoutMs: 3000 });
      const got = res.headers.get('x-llmp-release') ?? '';
      if (got !== expected) throw new Error(`nginx still routes to "${got}" (expected ${expected})`);
    },
    { attempts: 40, intervalMs: 250, timeoutMs: 15_000 },
  );
}

/** The environment's nginx: where its config comes from, where it listens, and the image that writes its volume. */
export interface Edge {
  stack: StackDeps;
  template: string;
  port: number;
  /** Image of the short-lived container that writes the nginx volume. */
  image: string;
}

/** Which release serves by default, which others answer to X-LLMP-Release, and until when. */
export interface Routes {
  serving?: string;
  reachable: readonly (string | undefined)[];
  expiresAt: string;
}

export interface SwitchOptions {
  /** The reload counts once the default route answers from this release… */
  expectServing?: string;
  /** …or once a request for this release reaches it. */
  expectReachable?: string;
  /** Called once nginx answers with the new routes, before the state is recorded. */
  onRouted?: () => void;
  /** Recorded with the environment once traffic has moved. */
  state?: EnvState;
}

/**
 * The one way traffic moves: render nginx's routes into its volume, validate and reload them,
 * wait until nginx answers as expected, then record the environment's new state. Stage-up,
 * its recovery and rollback all go through here.
 */
export async function switchTraffic(edge: Edge, routes: Routes, { expectServing, expectReachable, onRouted, state }: SwitchOptions = {}): Promise<void> {
  await writeRoutes(edge, routes);
  await reloadNginx(edge.stack, { port: edge.port, expectRelease: expectServing, expectReachable });
  onRouted?.();
  if (state) await saveEnvironment(edge.stack.sh, { env: edge.stack.env, paths: edge.stack.paths, image: edge.image }, { state });
}

/** Writes nginx's routes (and the basic-auth file when given) without reloading: for an nginx that is about to start. */
export function writeRoutes(edge: Edge, routes: Routes, basicAuth?: { user: string; password: string }): Promise<boolean> {
  const reachable = routes.reachable.filter((r): r is string => Boolean(r));
  return writeNginxFiles(edge.stack, { template: edge.template, active: routes.serving, reachable, expiresAt: routes.expiresAt, basicAuth, image: edge.image });
}
