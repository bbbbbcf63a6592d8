import { request as httpRequest } from 'node:http';

export interface EdgeTarget {
  /** http://127.0.0.1:<port> of the environment's nginx. */
  baseUrl: string;
  basicAuth?: { user: string; password: string };
  /** Sends X-LLMP-Release so that nginx routes to a candidate release. */
  release?: string;
}

export interface EdgeRequest {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Platform token, sent as X-API-Key (Authorization carries basic auth to nginx). */
  token?: string;
  basicAuth?: boolean;
  timeoutMs?: number;
}

export interface EdgeResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** Headers for one request through the edge (pure). */
export function edgeHeaders(target: EdgeTarget, request: EdgeRequest): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (target.release) headers['x-llmp-release'] = target.release;
  if ((request.basicAuth ?? true) && target.basicAuth) {
    headers['authorization'] = `Basic ${Buffer.from(`${target.basicAuth.user}:${target.basicAuth.password}`).toString('base64')}`;
  }
  if (request.token) headers['x-api-key'] = request.token;
  return headers;
}

/**
 * One request through the edge on a fresh connection (no keep-alive): nginx reloads close idle
 * pooled connections, and a reused dead socket would fail a step for no reason.
 */
export async function edgeFetch<T = unknown>(target: EdgeTarget, request: EdgeRequest): Promise<EdgeResponse<T>> {
  const url = new URL(request.path, target.baseUrl);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const { status, text, headers } = await new Promise<{ status: number; text: string; headers: Headers }>((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: request.method ?? 'GET',
        agent: false,
        headers: { ...edgeHeaders(target, request), connection: 'close', ...(payload ? { 'content-length': String(Buffer.byteLength(payload)) } : {}) },
        timeout: request.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: h });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${request.method ?? 'GET'} ${url.pathname}: no answer within ${request.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // plain-text bodies (nginx errors) stay text
  }
  return { status, body: body as T, text, headers };
}

export interface RetryOptions {
  attempts: number;
  intervalMs: number;
  /** Overall bound, whatever the attempt count. */
  timeoutMs: number;
}

/** Calls fn until it resolves, at most `attempts` times and `timeoutMs` overall; rethrows the last error. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, { attempts, intervalMs, timeoutMs }: RetryOptions): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      lastError = error;
      if (attempt === attempts || Date.now() + intervalMs > deadline) break;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw lastError;
}
