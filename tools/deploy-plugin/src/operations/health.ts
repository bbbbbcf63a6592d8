import { healthSchema } from '@llmp/contracts';
import { names } from '../environment/names';
import type { Sh } from '../process/runner';
import type { StackDeps } from './stack';
import { edgeFetch, type EdgeTarget } from './edge-http';
import { containerOf } from './traffic';

export interface HealthRow {
  component: string;
  status: 'up' | 'down';
  latencyMs?: number;
  detail?: string;
}

// The gateway answers with the health contract; while no release serves, nginx answers with text.
const gatewayHealthSchema = healthSchema.pick({ status: true, service: true, checks: true }).partial();

/** The gateway's aggregated /healthz as table rows: the gateway, then each check and its nested checks (pure). */
export function healthRows(body: unknown, httpStatus: number): HealthRow[] {
  const parsed = typeof body === 'object' && body ? gatewayHealthSchema.safeParse(body) : undefined;
  const json = parsed?.success ? parsed.data : {};
  const detail = httpStatus !== 200 ? `HTTP ${httpStatus}${typeof body === 'string' && body ? `: ${body.trim().slice(0, 120)}` : ''}` : parsed && !parsed.success ? 'the answer is not a health report' : undefined;
  const rows: HealthRow[] = [{ component: json.service ?? 'api-gateway', status: httpStatus === 200 && json.status === 'ok' ? 'up' : 'down', ...(detail ? { detail } : {}) }];
  for (const [name, check] of Object.entries(json.checks ?? {})) {
    rows.push({ component: name, status: check.status, latencyMs: check.latencyMs, ...(check.error ? { detail: check.error } : {}) });
    for (const [inner, c] of Object.entries(check.checks ?? {})) {
      rows.push({ component: `${name}/${inner}`, status: c.status, latencyMs: c.latencyMs, ...(c.error ? { detail: c.error } : {}) });
    }
  }
  return rows;
}

export async function checkHealth(target: EdgeTarget): Promise<{ ok: boolean; rows: HealthRow[] }> {
  const res = await edgeFetch(target, { path: '/healthz', basicAuth: false });
  const rows = healthRows(res.body ?? res.text, res.status);
  return { ok: res.status === 200 && rows.every((r) => r.status === 'up'), rows };
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

/**
 * Docker's view of one container (pure). Docker probes a service once a minute (a probe is a
 * `runc exec`, the largest idle cost of a release), so a container that runs and has not yet
 * been probed counts as up: HTTP through nginx is what says a release serves. Exited, restarting
 * or unhealthy containers are down.
 */
export function parseContainerStatus(stdout: string, project: string): HealthRow[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [service, state, status = ''] = line.split('\t');
      const up = state === 'running' && !/\(unhealthy\)/.test(status);
      return { component: `container ${project}/${service}`, status: up ? ('up' as const) : ('down' as const), detail: status };
    })
    .sort((a, b) => a.component.localeCompare(b.component));
}

/**
 * A release takes traffic only when every container of the given projects runs and the gateway's
 * health through nginx is all up. Polled until the deadline while the release starts; a container
 * that has exited, restarts or is unhealthy fails it at once (waiting would not mend it).
 */
export async function verifyRelease(
  sh: Sh,
  target: EdgeTarget,
  projects: readonly string[],
  { deadlineMs, intervalMs = 2000 }: { deadlineMs: number; intervalMs?: number },
): Promise<{ rows: HealthRow[]; http: number; containers: number }> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const containers = await containerHealth(sh, projects);
    const down = containers.filter((r) => r.status !== 'up');
    if (down.length) throw new Error(`containers not healthy: ${down.map((r) => `${r.component} (${r.detail})`).join(', ')}`);
    const h = await checkHealth(target).catch((e: Error) => ({ ok: false, rows: [{ component: 'nginx', status: 'down' as const, detail: e.message }] }));
    if (h.ok) return { rows: [...h.rows, ...containers], http: h.rows.length, containers: containers.length };
    if (Date.now() + intervalMs > deadline) {
      throw Object.assign(new Error(`unhealthy: ${h.rows.filter((r) => r.status !== 'up').map((r) => `${r.component}${r.detail ? ` (${r.detail})` : ''}`).join(', ')}`), { rows: h.rows });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Postgres accepts connections (`pg_isready` in its container) and nginx answers on the published port, polled until the deadline. */
export async function awaitEdge(d: StackDeps, { port, deadlineMs, intervalMs = 1000 }: { port: number; deadlineMs: number; intervalMs?: number }): Promise<void> {
  const project = names.edgeProject(d.env);
  const deadline = Date.now() + deadlineMs;
  const waiting = new Set(['postgres', 'nginx']);
  for (;;) {
    const containers = await containerHealth(d.sh, [project]);
    const down = containers.filter((r) => r.status !== 'up' && waiting.has(r.component.split('/').pop()!));
    if (down.length) {
      throw new Error(`containers not healthy: ${down.map((r) => `${r.component} (${r.detail})`).join(', ')}`);
    }
    if (waiting.has('postgres')) {
      const pg = await containerOf(d, project, 'postgres');
      if (pg && (await d.sh('docker', ['exec', pg, 'pg_isready', '-q', '-h', '127.0.0.1', '-U', 'llmp', '-d', 'llmp'], { allowFailure: true })).exitCode === 0) waiting.delete('postgres');
    }
    if (waiting.has('nginx')) {
      const answer = await edgeFetch({ baseUrl: `http://127.0.0.1:${port}` }, { path: '/nginx-health', basicAuth: false, timeoutMs: 2000 }).catch(() => undefined);
      if (answer?.status === 200) waiting.delete('nginx');
    }
    if (!waiting.size) return;
    if (Date.now() + intervalMs > deadline) throw new Error(`not ready within ${Math.round(deadlineMs / 1000)} s: ${[...waiting].join(', ')}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
