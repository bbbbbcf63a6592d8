import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createCompose, type Compose } from './compose';
import { writeVolumeFiles } from './engine-store';
import type { DeploymentLog } from './deployment-log';
import { LABEL, MANAGED_BY } from './docker';
import { names, SERVICES, tagVariable, type Credentials, type EnvPaths } from './environment';
import type { Sh } from './exec';
import { edgeFetch, retry } from './http';
import { htpasswdLine, htpasswdSalt } from './credentials';
import { renderNginxConf } from './nginx';
import type { HealthRow } from './platform';

export interface StackDeps {
  root: string;
  env: string;
  paths: EnvPaths;
  composeFile: string;
  sh: Sh;
  log?: DeploymentLog;
  secrets: () => readonly string[];
}

export interface ComposeVarsInput {
  env: string;
  release: string;
  expiresAt: string;
  port: number;
  credentials: Credentials;
  images: Record<string, string>;
  postgresImage: string;
  nginxImage: string;
  logLevel?: string;
  imagePrefix?: string;
}

/** Interpolation variables for docker-compose.staging.yml (pure). Image refs are split into prefix and per-service tag. */
export function composeVars(i: ComposeVarsInput): Record<string, string> {
  const vars: Record<string, string> = {
    LLMP_ENV: i.env,
    LLMP_RELEASE: i.release,
    LLMP_EXPIRES_AT: i.expiresAt,
    LLMP_STAGE_NETWORK: names.network(i.env),
    LLMP_STAGE_PORT: String(i.port),
    LLMP_POSTGRES_IMAGE: i.postgresImage,
    LLMP_NGINX_IMAGE: i.nginxImage,
    LLMP_POSTGRES_PASSWORD: i.credentials.postgresPassword,
    LLMP_INTERNAL_SECRET: i.credentials.internalSecret,
    LLMP_BOOTSTRAP_ADMIN_PASSWORD: i.credentials.users.admin,
    LLMP_LOG_LEVEL: i.logLevel ?? 'info',
    LLMP_IMAGE_PREFIX: i.imagePrefix ?? 'llmp',
  };
  for (const service of SERVICES) {
    const ref = i.images[service];
    if (!ref) continue;
    // repo:tag, or repo:tag@sha256:… for an image pinned to its registry digest
    const [name, digest] = ref.split('@');
    const colon = name.lastIndexOf(':');
    const repo = name.slice(0, colon);
    const expected = `${vars['LLMP_IMAGE_PREFIX']}/${service}`;
    if (colon < 0 || repo !== expected) throw new Error(`image ${ref} of ${service} must be named ${expected}:<tag> (imagePrefix "${vars['LLMP_IMAGE_PREFIX']}")`);
    vars[tagVariable(service)] = name.slice(colon + 1) + (digest ? `@${digest}` : '');
  }
  return vars;
}

export function edgeCompose(d: StackDeps, vars: Record<string, string>, profiles: readonly string[] = [], extraFiles: readonly string[] = []): Compose {
  return createCompose({ cwd: d.root, files: [d.composeFile, ...extraFiles], project: names.edgeProject(d.env), profiles: ['edge', ...profiles], env: vars }, { log: d.log, secrets: d.secrets });
}

export function releaseCompose(d: StackDeps, release: string, vars: Record<string, string>, extraFiles: readonly string[] = []): Compose {
  return createCompose({ cwd: d.root, files: [d.composeFile, ...extraFiles], project: names.releaseProject(d.env, release), env: { ...vars, LLMP_RELEASE: release } }, { log: d.log, secrets: d.secrets });
}

function envLabels(env: string, expiresAt: string): string[] {
  return [`${LABEL.managedBy}=${MANAGED_BY}`, `${LABEL.env}=${env}`, `${LABEL.release}=edge`, `${LABEL.expiresAt}=${expiresAt}`].flatMap((l) => ['--label', l]);
}

/** The environment's network and volumes (shared by its compose projects), labelled so that teardown and reap find them. */
export async function ensureEnvResources(d: StackDeps, expiresAt: string): Promise<string[]> {
  const created: string[] = [];
  const network = names.network(d.env);
  if ((await d.sh('docker', ['network', 'inspect', '--format', '{{.Name}}', network], { allowFailure: true })).exitCode !== 0) {
    await d.sh('docker', ['network', 'create', ...envLabels(d.env, expiresAt), network]);
    created.push(network);
  }
  for (const volume of [names.dataVolume(d.env), names.stateVolume(d.env), names.nginxVolume(d.env)]) {
    if ((await d.sh('docker', ['volume', 'inspect', '--format', '{{.Name}}', volume], { allowFailure: true })).exitCode !== 0) {
      await d.sh('docker', ['volume', 'create', ...envLabels(d.env, expiresAt), volume]);
      created.push(volume);
    }
  }
  return created;
}

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

export interface LabelledResource {
  kind: 'container' | 'network' | 'volume';
  id: string;
  name: string;
  env: string;
  release: string;
  project: string;
  expiresAt: string;
}

/** Every container, network and volume carrying dev.llmp.managed-by (optionally only one environment's). */
export async function listResources(sh: Sh, env?: string): Promise<LabelledResource[]> {
  const filter = env ? `label=${LABEL.env}=${env}` : `label=${LABEL.managedBy}=${MANAGED_BY}`;
  const fmt = (id: string, name: string, labels: string) => `${id}\t${name}\t${labels}`;
  const out: LabelledResource[] = [];
  const kinds: Array<[LabelledResource['kind'], string[]]> = [
    ['container', ['ps', '--all', '--no-trunc', '--filter', filter, '--format', fmt('{{.ID}}', '{{.Names}}', '{{.Labels}}')]],
    ['network', ['network', 'ls', '--no-trunc', '--filter', filter, '--format', fmt('{{.ID}}', '{{.Name}}', '{{.Labels}}')]],
    ['volume', ['volume', 'ls', '--filter', filter, '--format', fmt('{{.Name}}', '{{.Name}}', '{{.Labels}}')]],
  ];
  for (const [kind, args] of kinds) {
    const r = await sh('docker', args, { allowFailure: true });
    out.push(...parseResourceLines(kind, r.stdout));
  }
  return env ? out : out.filter((r) => r.env);
}

/** Lines of `id \t name \t k=v,k=v` (pure). */
export function parseResourceLines(kind: LabelledResource['kind'], stdout: string): LabelledResource[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [id, name, labelText = ''] = line.split('\t');
      const labels = Object.fromEntries(
        labelText
          .split(',')
          .filter(Boolean)
          .map((kv) => {
            const i = kv.indexOf('=');
            return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
          }),
      );
      return {
        kind,
        id,
        name,
        env: labels[LABEL.env] ?? '',
        release: labels[LABEL.release] ?? '',
        project: labels['com.docker.compose.project'] ?? '',
        expiresAt: labels[LABEL.expiresAt] ?? '',
      };
    });
}

export interface EnvironmentSummary {
  env: string;
  /** Latest expiry stamped on any of its resources (a re-stage stamps a later one). */
  expiresAt?: string;
  resources: LabelledResource[];
}

/** Groups resources by environment (pure). */
export function groupByEnvironment(resources: readonly LabelledResource[]): EnvironmentSummary[] {
  const byEnv = new Map<string, LabelledResource[]>();
  for (const r of resources) byEnv.set(r.env, [...(byEnv.get(r.env) ?? []), r]);
  return [...byEnv.entries()].map(([env, rs]) => {
    const stamps = rs.map((r) => r.expiresAt).filter((s) => s && !Number.isNaN(Date.parse(s)));
    const expiresAt = stamps.length ? stamps.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)) : undefined;
    return { env, expiresAt, resources: rs };
  });
}

/** Removes every container, then network, then volume of the environment, found by label. */
export async function removeEnvironment(sh: Sh, env: string): Promise<LabelledResource[]> {
  const resources = await listResources(sh, env);
  await removeResources(sh, resources);
  return resources;
}

/** Removes exactly the given resources: containers, then networks, then volumes. */
export async function removeResources(sh: Sh, resources: readonly LabelledResource[]): Promise<void> {
  const ids = (kind: LabelledResource['kind']) => resources.filter((r) => r.kind === kind).map((r) => r.id);
  if (ids('container').length) await sh('docker', ['rm', '--force', '--volumes', ...ids('container')]);
  if (ids('network').length) await sh('docker', ['network', 'rm', ...ids('network')]);
  if (ids('volume').length) await sh('docker', ['volume', 'rm', '--force', ...ids('volume')]);
}

/** Release projects of an environment that still have containers. */
export async function releaseProjects(sh: Sh, env: string): Promise<string[]> {
  const resources = await listResources(sh, env);
  return [...new Set(resources.filter((r) => r.kind === 'container' && r.release && r.release !== 'edge').map((r) => r.release))].sort();
}

/** Docker's view: one row per container of the given compose projects, up when running and healthy (pure parsing below). */
export async function containerHealth(sh: Sh, projects: readonly string[]): Promise<HealthRow[]> {
  const rows: HealthRow[] = [];
  for (const project of projects) {
    const r = await sh('docker', ['ps', '--all', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Label "com.docker.compose.service"}}\t{{.State}}\t{{.Status}}'], { allowFailure: true });
    rows.push(...parseContainerStatus(r.stdout, project));
  }
  return rows;
}

export function parseContainerStatus(stdout: string, project: string): HealthRow[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [service, state, status = ''] = line.split('\t');
      const healthy = state === 'running' && !/\((unhealthy|health: starting)\)/.test(status);
      return { component: `container ${project}/${service}`, status: healthy ? ('up' as const) : ('down' as const), detail: status };
    })
    .sort((a, b) => a.component.localeCompare(b.component));
}
