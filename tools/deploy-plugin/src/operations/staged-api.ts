import { edgeFetch, type EdgeRequest, type EdgeResponse, type EdgeTarget } from './edge-http';

/*
 * The staged platform's public API, reached through the environment's nginx: calls that ride out
 * a release that is still starting, and the login every seed and smoke step begins with.
 */

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
