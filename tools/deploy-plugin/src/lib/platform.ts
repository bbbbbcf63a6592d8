import type { Credentials } from './environment';
import { edgeFetch, type EdgeTarget } from './http';

export interface HealthRow {
  component: string;
  status: 'up' | 'down';
  latencyMs?: number;
  detail?: string;
}

interface HealthCheckJson {
  status: 'up' | 'down';
  latencyMs?: number;
  error?: string;
  checks?: Record<string, HealthCheckJson>;
}

interface HealthJson {
  status: string;
  service?: string;
  checks?: Record<string, HealthCheckJson>;
}

/** The gateway's aggregated /healthz as table rows: the gateway, then each check and its nested checks (pure). */
export function healthRows(body: unknown, httpStatus: number): HealthRow[] {
  const json = (typeof body === 'object' && body ? body : {}) as HealthJson;
  const rows: HealthRow[] = [
    {
      component: json.service ?? 'api-gateway',
      status: httpStatus === 200 && json.status === 'ok' ? 'up' : 'down',
      ...(httpStatus === 200 ? {} : { detail: `HTTP ${httpStatus}${typeof body === 'string' && body ? `: ${body.trim().slice(0, 120)}` : ''}` }),
    },
  ];
  const walk = (checks: Record<string, HealthCheckJson> | undefined, prefix: string) => {
    for (const [name, check] of Object.entries(checks ?? {})) {
      rows.push({ component: `${prefix}${name}`, status: check.status === 'up' ? 'up' : 'down', latencyMs: check.latencyMs, ...(check.error ? { detail: check.error } : {}) });
      walk(check.checks, `${prefix}${name}/`);
    }
  };
  walk(json.checks, '');
  return rows;
}

export async function checkHealth(target: EdgeTarget): Promise<{ ok: boolean; rows: HealthRow[] }> {
  const res = await edgeFetch(target, { path: '/healthz', basicAuth: false });
  const rows = healthRows(res.body ?? res.text, res.status);
  return { ok: res.status === 200 && rows.every((r) => r.status === 'up'), rows };
}

export const DEMO_USERS = [
  { username: 'admin', role: 'admin' },
  { username: 'manager', role: 'manager' },
  { username: 'user', role: 'user' },
] as const;

export type DemoUser = (typeof DEMO_USERS)[number]['username'];

export const SMOKE_AREAS = ['ingestion', 'datasets', 'training', 'agents'] as const;

export async function login(target: EdgeTarget, username: string, password: string): Promise<string> {
  const res = await edgeFetch<{ token?: string }>(target, { method: 'POST', path: '/api/auth/login', body: { username, password } });
  if (res.status !== 200 || !res.body?.token) {
    throw new Error(`POST /api/auth/login as "${username}" answered ${res.status}: ${res.text.slice(0, 300)}`);
  }
  return res.body.token;
}

export interface SeedResult {
  created: string[];
  unchanged: string[];
}

/**
 * Demo data through the public API (behind nginx): the bootstrap admin logs in, creates the
 * manager and user accounts and loads the demo knowledge base. Idempotent: an existing username
 * (409) and an already loaded knowledge base (200) are left as they are.
 */
export async function seed(target: EdgeTarget, credentials: Credentials, adminPassword = credentials.users.admin): Promise<SeedResult> {
  let token: string;
  try {
    token = await login(target, 'admin', adminPassword);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n→ the admin account is created from LLMP_BOOTSTRAP_ADMIN_PASSWORD when the user table is empty; if the database was initialised with another password, tear the environment down (npx nx run deploy:teardown) or set LLMP_SEED_ADMIN_PASSWORD`);
  }
  const result: SeedResult = { created: [], unchanged: ['admin'] };
  for (const { username, role } of DEMO_USERS) {
    if (username === 'admin') continue;
    const res = await edgeFetch(target, { method: 'POST', path: '/api/users', token, body: { username, password: credentials.users[username], role } });
    if (res.status === 201) result.created.push(username);
    else if (res.status === 409) result.unchanged.push(username);
    else throw new Error(`POST /api/users (${username}) answered ${res.status}: ${res.text.slice(0, 300)}`);
  }
  const demo = await edgeFetch(target, { method: 'POST', path: '/api/ingestion/demo', token });
  if (demo.status === 201) result.created.push(DEMO_KNOWLEDGE_BASE);
  else if (demo.status === 200) result.unchanged.push(DEMO_KNOWLEDGE_BASE);
  else throw new Error(`POST /api/ingestion/demo answered ${demo.status}: ${demo.text.slice(0, 300)}`);
  return result;
}

export const DEMO_KNOWLEDGE_BASE = 'demo knowledge base';

export interface SmokeCheck {
  name: string;
  ok: boolean;
  status: number;
  durationMs: number;
  detail?: string;
}

/** Each demo user logs in and calls one authenticated endpoint per service; without basic auth the API answers 401. */
export async function smoke(target: EdgeTarget, credentials: Credentials): Promise<SmokeCheck[]> {
  const checks: SmokeCheck[] = [];
  const record = async (name: string, expected: number, fn: () => Promise<{ status: number; text: string }>) => {
    const started = Date.now();
    try {
      const res = await fn();
      checks.push({ name, ok: res.status === expected, status: res.status, durationMs: Date.now() - started, ...(res.status === expected ? {} : { detail: `expected ${expected}: ${res.text.slice(0, 200)}` }) });
    } catch (error) {
      checks.push({ name, ok: false, status: 0, durationMs: Date.now() - started, detail: (error as Error).message });
    }
  };
  await record('GET /healthz without basic auth → 200', 200, () => edgeFetch(target, { path: '/healthz', basicAuth: false }));
  await record('GET /api/users without basic auth → 401', 401, () => edgeFetch(target, { path: '/api/users', basicAuth: false }));
  await record('GET /api/users with basic auth, no token → 401', 401, () => edgeFetch(target, { path: '/api/users' }));
  for (const { username } of DEMO_USERS) {
    let token: string | undefined;
    await record(`${username}: POST /api/auth/login → 200`, 200, async () => {
      const res = await edgeFetch<{ token?: string }>(target, { method: 'POST', path: '/api/auth/login', body: { username, password: credentials.users[username] } });
      token = res.body?.token;
      return res;
    });
    if (!token) continue;
    for (const area of SMOKE_AREAS) {
      await record(`${username}: GET /api/${area}/info → 200`, 200, () => edgeFetch(target, { path: `/api/${area}/info`, token }));
    }
  }
  return checks;
}
