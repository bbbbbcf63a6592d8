import type { Credentials } from './environment';
import { edgeFetch, type EdgeRequest, type EdgeResponse, type EdgeTarget } from './http';

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

/** The end of an overall time allowance shared by several calls. */
export interface Deadline {
  at: number;
}

export function deadlineIn(ms: number, now = Date.now()): Deadline {
  return { at: now + ms };
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);
/** Longest single attempt: a first login on a freshly started release hashes with scrypt on a loaded host. */
const MAX_ATTEMPT_MS = 20_000;

/** Waits before attempt n+1: 0.5 s, 1 s, 2 s, 4 s, then 5 s (pure). */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 5000);
}

/**
 * One call through the edge, retried with backoff while it times out, cannot connect or meets a
 * gateway error (502/503/504), until the deadline. Any other answer is returned as it is. The
 * error names the call, what went wrong last and how many attempts were made.
 */
export async function edgeCall<T = unknown>(target: EdgeTarget, request: EdgeRequest, deadline: Deadline): Promise<EdgeResponse<T>> {
  const what = `${request.method ?? 'GET'} ${request.path}`;
  let last = '';
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline.at - Date.now();
    if (remaining <= 0) throw new Error(`${what}: ${last || 'no time left'} (${attempt - 1} attempt${attempt === 2 ? '' : 's'}, deadline passed)`);
    try {
      const res = await edgeFetch<T>(target, { ...request, timeoutMs: Math.max(1000, Math.min(request.timeoutMs ?? MAX_ATTEMPT_MS, remaining)) });
      if (!RETRYABLE_STATUS.has(res.status)) return res;
      last = `answered ${res.status}`;
    } catch (error) {
      last = (error as Error).message.replace(`${what}: `, '');
    }
    const wait = Math.min(backoffMs(attempt), deadline.at - Date.now());
    if (wait <= 0) throw new Error(`${what}: ${last} (${attempt} attempt${attempt === 1 ? '' : 's'}, deadline passed)`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

export async function login(target: EdgeTarget, username: string, password: string, deadline = deadlineIn(60_000), attemptTimeoutMs?: number): Promise<string> {
  const res = await edgeCall<{ token?: string }>(target, { method: 'POST', path: '/api/auth/login', body: { username, password }, timeoutMs: attemptTimeoutMs }, deadline);
  if (res.status !== 200 || !res.body?.token) {
    throw Object.assign(new Error(`POST /api/auth/login as "${username}" answered ${res.status}: ${res.text.slice(0, 300)}`), { status: res.status });
  }
  return res.body.token;
}

/** What to do when the admin cannot log in (pure): the password is fixed once the database exists. */
export function adminLoginHint(status: number | undefined): string {
  if (status === 401) {
    return [
      '→ the admin password is set once, when the database is initialised (from LLMP_SEED_ADMIN_PASSWORD, else generated), and is kept with the environment:',
      '  npx nx run deploy:status --showCredentials shows it. Changing LLMP_SEED_ADMIN_PASSWORD later has no effect on an existing database;',
      '  if the database holds another admin password, remove the environment (npx nx run deploy:teardown) and stage again.',
    ].join('\n');
  }
  return '→ the gateway did not answer the login in time: npx nx run deploy:logs --services=api-gateway shows why';
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
export async function seed(
  target: EdgeTarget,
  credentials: Credentials,
  { adminPassword = credentials.users.admin, deadlineMs = 90_000, attemptTimeoutMs }: { adminPassword?: string; deadlineMs?: number; attemptTimeoutMs?: number } = {},
): Promise<SeedResult> {
  const deadline = deadlineIn(deadlineMs);
  let token: string;
  try {
    token = await login(target, 'admin', adminPassword, deadline, attemptTimeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${adminLoginHint((error as { status?: number }).status)}`);
  }
  const result: SeedResult = { created: [], unchanged: ['admin'] };
  for (const { username, role } of DEMO_USERS) {
    if (username === 'admin') continue;
    const res = await edgeCall(target, { method: 'POST', path: '/api/users', token, body: { username, password: credentials.users[username], role } }, deadline);
    if (res.status === 201) result.created.push(username);
    else if (res.status === 409) result.unchanged.push(username);
    else throw new Error(`POST /api/users (${username}) answered ${res.status}: ${res.text.slice(0, 300)}`);
  }
  const demo = await edgeCall(target, { method: 'POST', path: '/api/ingestion/demo', token }, deadline);
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
export async function smoke(target: EdgeTarget, credentials: Credentials, { deadlineMs = 90_000 }: { deadlineMs?: number } = {}): Promise<SmokeCheck[]> {
  const deadline = deadlineIn(deadlineMs);
  const call = <T = unknown>(request: EdgeRequest) => edgeCall<T>(target, request, deadline);
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
  await record('GET /healthz without basic auth → 200', 200, () => call({ path: '/healthz', basicAuth: false }));
  await record('GET /api/users without basic auth → 401', 401, () => call({ path: '/api/users', basicAuth: false }));
  await record('GET /api/users with basic auth, no token → 401', 401, () => call({ path: '/api/users' }));
  for (const { username } of DEMO_USERS) {
    let token: string | undefined;
    await record(`${username}: POST /api/auth/login → 200`, 200, async () => {
      const res = await call<{ token?: string }>({ method: 'POST', path: '/api/auth/login', body: { username, password: credentials.users[username] } });
      token = res.body?.token;
      return res;
    });
    if (!token) continue;
    for (const area of SMOKE_AREAS) {
      await record(`${username}: GET /api/${area}/info → 200`, 200, () => call({ path: `/api/${area}/info`, token }));
    }
  }
  return checks;
}
