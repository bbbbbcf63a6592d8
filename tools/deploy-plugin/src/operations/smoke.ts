import type { Credentials } from '../environment/credentials';
import type { EdgeRequest, EdgeTarget } from './edge-http';
import { DEMO_USERS } from './seed';
import { deadlineIn, edgeCall } from './staged-api';

export const SMOKE_AREAS = ['ingestion', 'datasets', 'training', 'agents'] as const;

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
