import { healthSchema } from '@llmp/contracts';
import type { Sh } from '../process/runner';
import { edgeFetch, retry, type EdgeTarget } from './edge-http';

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

/**
 * A release takes traffic only when the gateway's health through nginx is all up (retried until
 * the deadline while it settles) and every container of the given projects runs healthy.
 */
export async function verifyRelease(sh: Sh, target: EdgeTarget, projects: readonly string[], { deadlineMs }: { deadlineMs: number }): Promise<{ rows: HealthRow[]; http: number; containers: number }> {
  const result = await retry(
    async () => {
      const h = await checkHealth(target);
      if (!h.ok) throw Object.assign(new Error(`unhealthy: ${h.rows.filter((r) => r.status !== 'up').map((r) => `${r.component}${r.detail ? ` (${r.detail})` : ''}`).join(', ')}`), { rows: h.rows });
      return h;
    },
    { attempts: 15, intervalMs: 2000, timeoutMs: deadlineMs },
  );
  const containers = await containerHealth(sh, projects);
  const down = containers.filter((r) => r.status !== 'up');
  if (down.length) throw new Error(`containers not healthy: ${down.map((r) => `${r.component} (${r.detail})`).join(', ')}`);
  return { rows: [...result.rows, ...containers], http: result.rows.length, containers: containers.length };
}
