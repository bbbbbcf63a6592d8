import type { Sh } from './runner';

export { dockerfileName } from './dockerfile-name';

export const LABEL = {
  managedBy: 'dev.llmp.managed-by',
  env: 'dev.llmp.env',
  release: 'dev.llmp.release',
  expiresAt: 'dev.llmp.expires-at',
  contentHash: 'dev.llmp.content-hash',
  service: 'dev.llmp.service',
} as const;

export const MANAGED_BY = 'llmp-deploy-plugin';

export interface BuildImageSpec {
  dockerfile: string;
  context: string;
  tags: readonly string[];
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** BuildKit secrets: id → file on the host. */
  secrets?: Record<string, string>;
  target?: string;
  pull?: boolean;
}

/** argv for `docker build` (pure). */
export function buildImageArgs(spec: BuildImageSpec): string[] {
  const args = ['build', '--file', spec.dockerfile];
  for (const tag of spec.tags) args.push('--tag', tag);
  for (const [k, v] of Object.entries(spec.buildArgs ?? {}).sort(([a], [b]) => a.localeCompare(b))) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(spec.labels ?? {}).sort(([a], [b]) => a.localeCompare(b))) args.push('--label', `${k}=${v}`);
  for (const [id, src] of Object.entries(spec.secrets ?? {})) args.push('--secret', `id=${id},src=${src}`);
  if (spec.target) args.push('--target', spec.target);
  if (spec.pull) args.push('--pull');
  args.push(spec.context);
  return args;
}

/** `llmp/api-gateway:0123456789ab` or `llmp/api-gateway:0123456789ab-dirty-1a2b3c4d` (pure). */
export function imageTag({ prefix, service, shortSha, dirty, contentHash }: { prefix: string; service: string; shortSha: string; dirty: boolean; contentHash: string }): string {
  const tag = dirty ? `${shortSha}-dirty-${contentHash.slice(0, 8)}` : shortSha;
  return `${prefix}/${service}:${tag}`;
}

/** OCI annotations every image carries (pure). */
export function ociLabels({ revision, created, source, title, version }: { revision: string; created: string; source: string; title: string; version?: string }): Record<string, string> {
  return {
    'org.opencontainers.image.title': title,
    'org.opencontainers.image.revision': revision,
    'org.opencontainers.image.created': created,
    'org.opencontainers.image.source': source,
    ...(version ? { 'org.opencontainers.image.version': version } : {}),
  };
}

export async function imageExists(sh: Sh, ref: string): Promise<boolean> {
  const result = await sh('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { allowFailure: true });
  return result.exitCode === 0;
}

/** Image id of the newest local image carrying label=value, if any. */
export async function findImageByLabel(sh: Sh, label: string, value: string): Promise<string | undefined> {
  const result = await sh('docker', ['images', '--filter', `label=${label}=${value}`, '--format', '{{.ID}}'], { allowFailure: true });
  return result.stdout.split('\n').map((s) => s.trim()).find(Boolean);
}

export async function tryPull(sh: Sh, ref: string, timeoutMs: number): Promise<boolean> {
  const result = await sh('docker', ['pull', '--quiet', ref], { allowFailure: true, timeoutMs });
  return result.exitCode === 0;
}

export async function assertDockerRunning(sh: Sh): Promise<void> {
  await sh('docker', ['info', '--format', '{{.ServerVersion}}'], {
    timeoutMs: 20_000,
    hint: 'the Docker daemon is not answering: start it (tools/scripts/setup-docker.sh on Debian hosts) and check `docker info`',
  });
}

/** Compose v2 is required (profiles, `up --wait`); resolves with its version. */
export async function assertComposeV2(sh: Sh): Promise<string> {
  const v = await sh('docker', ['compose', 'version', '--short'], { hint: 'Compose v2 is required: install the docker compose plugin (tools/scripts/setup-docker.sh on Debian)' });
  const version = v.stdout.trim();
  if (!/^v?2\./.test(version)) throw new Error(`docker compose ${version} found; Compose v2 is required`);
  return version;
}

export async function imageId(sh: Sh, ref: string): Promise<string> {
  return (await sh('docker', ['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
}

/** One label of a local image; undefined when the image or the label is missing. */
export async function imageLabel(sh: Sh, ref: string, label: string): Promise<string | undefined> {
  const r = await sh('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${label}"}}`, ref], { allowFailure: true });
  return r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
}
