import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SERVICES } from '../environment/names';
import { stripAnsi } from '../process/deployment-log';
import { imageExists, tryPull } from '../process/docker';
import type { Sh } from '../process/runner';
import { pullImage, remoteRef } from './registry';

export interface BaseImageSpec {
  /** The usual upstream image (build-argument default). */
  upstream: string;
  /** Its equivalent built from Debian by tools/scripts/build-base-images.sh. */
  local: string;
  /** Argument of build-base-images.sh that builds `local`. */
  script: 'node' | 'postgres' | 'nginx';
}

export const BASE_IMAGES = {
  node: { upstream: 'node:20-bookworm-slim', local: 'llmp/node:20-trixie', script: 'node' },
  postgres: { upstream: 'pgvector/pgvector:pg17', local: 'llmp/postgres:17-pgvector', script: 'postgres' },
  nginx: { upstream: 'nginx:1.27-bookworm', local: 'llmp/nginx:1-trixie', script: 'nginx' },
} as const satisfies Record<string, BaseImageSpec>;

export type BaseImageSource = 'upstream' | 'pulled' | 'local' | 'built-locally';

export interface ResolveBaseImageOptions {
  root: string;
  sh: Sh;
  pullTimeoutMs: number;
  /** Build the local equivalent when neither image is available (needs root for debootstrap). */
  buildLocal: boolean;
  progress?: (line: string) => void;
}

/**
 * The upstream image or the local Debian-built equivalent when either is on the engine (no
 * network asked); otherwise the upstream one pulled, or the local one built on demand.
 * Explicit overrides (an image named by the user) are used as they are.
 */
export async function resolveBaseImage(spec: BaseImageSpec, { root, sh, pullTimeoutMs, buildLocal, progress }: ResolveBaseImageOptions): Promise<{ image: string; source: BaseImageSource }> {
  if (await imageExists(sh, spec.upstream)) return { image: spec.upstream, source: 'upstream' };
  if (await imageExists(sh, spec.local)) {
    progress?.(`using the local equivalent ${spec.local} of ${spec.upstream}`);
    return { image: spec.local, source: 'local' };
  }
  if (pullTimeoutMs > 0) {
    progress?.(`pulling ${spec.upstream} (up to ${Math.round(pullTimeoutMs / 1000)}s)`);
    if (await tryPull(sh, spec.upstream, pullTimeoutMs)) return { image: spec.upstream, source: 'pulled' };
  }
  if (!buildLocal) {
    throw new Error(`neither ${spec.upstream} (cannot be pulled) nor ${spec.local} is available\n→ build the local base images: sudo tools/scripts/build-base-images.sh ${spec.script} (or npx nx run deploy:base-images)`);
  }
  progress?.(`${spec.upstream} cannot be pulled and ${spec.local} is missing: building it from Debian (first time: a few minutes)`);
  await sh('bash', [join(root, 'tools/scripts/build-base-images.sh'), spec.script], {
    cwd: root,
    timeoutMs: 20 * 60_000,
    hint: `building ${spec.local} needs root (debootstrap) and a Debian mirror; run tools/scripts/build-base-images.sh ${spec.script} by hand to see why`,
  });
  return { image: spec.local, source: 'built-locally' };
}

/** Files below dir, recursively, as sorted paths relative to root. */
export function listFiles(root: string, dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const p = join(abs, entry.name);
      const rel = relative(root, p);
      if (skip(rel)) continue;
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(rel);
    }
  };
  if (existsSync(join(root, dir))) walk(join(root, dir));
  return out.sort();
}

/** sha256 over (path, content) pairs plus extra strings; order-independent in the file list. */
export function contentHash(root: string, files: readonly string[], extra: readonly string[] = []): string {
  const h = createHash('sha256');
  for (const rel of [...files].sort()) {
    h.update(`${rel}\0`);
    h.update(readFileSync(join(root, rel)));
    h.update('\0');
  }
  for (const e of extra) h.update(`${e}\0`);
  return h.digest('hex');
}

/** package.json + package-lock.json + every workspace manifest: what `npm ci` sees (pure given the tree). */
export function manifestFiles(root: string): string[] {
  const files = ['package.json', 'package-lock.json'];
  for (const group of ['apps', 'libs', 'tools']) {
    if (!existsSync(join(root, group))) continue;
    for (const name of readdirSync(join(root, group)).sort()) {
      const rel = join(group, name, 'package.json');
      if (existsSync(join(root, rel)) && statSync(join(root, rel)).isFile()) files.push(rel);
    }
  }
  return files;
}

export interface ImageRecord {
  service: string;
  image: string;
  tags: string[];
  contentHash: string;
  revision: string;
  dirty: boolean;
  baseImage: string;
  outcome: 'built' | 'present' | 'retagged';
  at: string;
  /** `<registry>/<image>@sha256:…` when the image was pushed to a registry. */
  pushed?: string;
}

export function imageRecordPath(root: string, service: string): string {
  return join(root, 'dist', 'docker', 'images', `${service}.json`);
}

export function readImageRecord(root: string, service: string): ImageRecord | undefined {
  const p = imageRecordPath(root, service);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ImageRecord) : undefined;
}

export function writeImageRecord(root: string, record: ImageRecord): void {
  mkdirSync(join(root, 'dist', 'docker', 'images'), { recursive: true });
  writeFileSync(imageRecordPath(root, record.service), JSON.stringify(record, null, 2) + '\n');
}

/**
 * A cross-process lock (mkdir is atomic) so that parallel docker-build tasks build the shared base
 * image once. Bounded wait; a lock left by a dead process is taken over.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, { timeoutMs = 30 * 60_000, pollMs = 1000 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  mkdirSync(join(dir, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSafe(join(dir, 'pid')));
      if (holder && !processAlive(holder)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${dir} (held by pid ${holder || '?'}); remove it if no build is running`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ImageSource {
  root: string;
  /** Which images nx builds first: every one, the affected ones, or none (use what exists). */
  build: 'all' | 'affected' | 'none';
  imagePrefix: string;
  /** With a registry the images come from it, pinned to their digests. */
  registry?: string;
}

/** Nx project name of apps/<service> (package.json nx.name, else the package name). */
function projectNameOf(root: string, service: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'apps', service, 'package.json'), 'utf8')) as { name: string; nx?: { name?: string } };
  return pkg.nx?.name ?? pkg.name;
}

/**
 * With a registry, the images come from it, pinned to their digests: those this checkout just
 * pushed, else those the Build job pushed for this commit (tag = git SHA).
 */
async function pullImages(sh: Sh, o: ImageSource & { registry: string }, shortSha: string, progress: (l: string) => void): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  for (const service of SERVICES) {
    const record = readImageRecord(o.root, service);
    const remote = record?.pushed?.startsWith(`${o.registry}/`) ? record.pushed : remoteRef(o.registry, `${o.imagePrefix}/${service}:${shortSha}`);
    images[service] = await pullImage(sh, remote);
  }
  progress(`${SERVICES.length} images from ${o.registry}, pinned to their digests`);
  return images;
}

/** `nx <args> --target=docker-build`, passing on the lines that say where the images stand. */
function nxDockerBuild(sh: Sh, o: ImageSource, progress: (l: string) => void) {
  const nxEnv: Record<string, string> = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', ...(o.registry ? { LLMP_REGISTRY: o.registry } : {}) };
  return (args: string[]) =>
    sh(join(o.root, 'node_modules', '.bin', 'nx'), [...args, '--outputStyle=stream'], {
      cwd: o.root,
      env: nxEnv,
      timeoutMs: 60 * 60_000,
      onOutput: (chunk) =>
        stripAnsi(chunk)
          .split('\n')
          .filter((l) => /\((built|present|retagged)\)( → \S+)?$|docker-build .* failed|Successfully ran|Ran target/.test(l))
          .forEach((l) => progress(l.trim().slice(0, 200))),
      hint: 'an image did not build: the output above names the project; npx nx run <project>:docker-build reproduces it',
    });
}

async function localImages(sh: Sh, root: string, services: readonly string[]): Promise<{ images: Record<string, string>; missing: string[] }> {
  const images: Record<string, string> = {};
  const missing: string[] = [];
  for (const service of services) {
    const record = readImageRecord(root, service);
    if (record && (await imageExists(sh, record.image))) images[service] = record.image;
    else missing.push(service);
  }
  return { images, missing };
}

/** One image per service: built by nx as asked (and any still missing), or pulled from the registry. */
export async function provideImages(sh: Sh, o: ImageSource, { shortSha, progress }: { shortSha: string; progress: (l: string) => void }): Promise<Record<string, string>> {
  const runNx = nxDockerBuild(sh, o, progress);
  if (o.build === 'all') await runNx(['run-many', '--target=docker-build']);
  if (o.build === 'affected') await runNx(['affected', '--target=docker-build']);
  if (o.registry) return pullImages(sh, { ...o, registry: o.registry }, shortSha, progress);
  const found = await localImages(sh, o.root, SERVICES);
  if (found.missing.length && o.build !== 'none') {
    progress(`no image yet for ${found.missing.join(', ')}: building them`);
    await runNx(['run-many', '--target=docker-build', `--projects=${found.missing.map((m) => projectNameOf(o.root, m)).join(',')}`]);
    const second = await localImages(sh, o.root, found.missing);
    Object.assign(found.images, second.images);
    found.missing = second.missing;
  }
  if (found.missing.length) throw new Error(`no image for ${found.missing.join(', ')} → npx nx run-many -t docker-build (or stage with build=all)`);
  return found.images;
}
