import { LABEL, MANAGED_BY } from '../process/docker';
import type { Sh } from '../process/runner';

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
