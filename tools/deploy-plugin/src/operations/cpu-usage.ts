import { existsSync, readFileSync } from 'node:fs';
import type { Sh } from '../process/runner';

/**
 * CPU time of containers, read from their cgroups on the engine host (cgroup v1 cpuacct or v2
 * cpu.stat, cgroupfs or systemd driver). Processes that `docker exec` and health probes start
 * run in the container's cgroup, so their cost is included.
 */
export function cgroupCpuFiles(id: string, base = '/sys/fs/cgroup'): string[] {
  return [
    `${base}/cpuacct/docker/${id}/cpuacct.usage`,
    `${base}/cpu,cpuacct/docker/${id}/cpuacct.usage`,
    `${base}/cpuacct/system.slice/docker-${id}.scope/cpuacct.usage`,
    `${base}/docker/${id}/cpu.stat`,
    `${base}/system.slice/docker-${id}.scope/cpu.stat`,
  ];
}

/** Nanoseconds of CPU from either file format (pure). */
export function parseCpuNanos(path: string, text: string): number {
  if (path.endsWith('cpuacct.usage')) return Number(text.trim());
  const line = text.split('\n').find((l) => l.startsWith('usage_usec '));
  if (!line) throw new Error(`${path} has no usage_usec line`);
  return Number(line.split(' ')[1]) * 1000;
}

export function containerCpuNanos(id: string, base?: string): number {
  const file = cgroupCpuFiles(id, base).find((f) => existsSync(f));
  if (!file) throw new Error(`no cgroup CPU accounting found for container ${id.slice(0, 12)} (is this the engine host?)`);
  return parseCpuNanos(file, readFileSync(file, 'utf8'));
}

/** Share of one core used by the containers over the window (pure): 0.05 = 5 %. */
export function coreShare(beforeNanos: number, afterNanos: number, windowMs: number): number {
  return (afterNanos - beforeNanos) / (windowMs * 1e6);
}

/** Measures the running containers carrying label=value for `windowMs`: share of one core, per container and in total. */
export async function measureIdleCpu(sh: Sh, { label, windowMs }: { label: string; windowMs: number }): Promise<{ total: number; containers: Record<string, number> }> {
  const r = await sh('docker', ['ps', '--no-trunc', '--filter', `label=${label}`, '--format', '{{.ID}}\t{{.Names}}']);
  const rows = r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]);
  if (!rows.length) throw new Error(`no running container carries ${label}`);
  const before = rows.map(([id]) => containerCpuNanos(id));
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const elapsed = Date.now() - started;
  const containers = Object.fromEntries(rows.map(([id, name], i) => [name, coreShare(before[i], containerCpuNanos(id), elapsed)]));
  return { total: Object.values(containers).reduce((a, b) => a + b, 0), containers };
}
