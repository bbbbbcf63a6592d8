import { Agent, errors as undiciErrors } from 'undici';
import type { Identity } from '@llmp/contracts';
import { createIdentitySigner, IDENTITY_HEADER, requestTarget } from './secrets';

export interface ServiceClientOptions {
  /** The secret the gateway and every service share (`LLMP_INTERNAL_SECRET`). */
  secret: string;
  /** The calling service's name; the callee sees it in `identity.service`. */
  service: string;
  /** The callee's base URL, or a function for callers built before it listens (the embedded platform). */
  baseUrl: string | (() => string);
  /** Give up on a call after this long (default 30 s). */
  timeoutMs?: number;
}

export interface ServiceRequest {
  method?: string;
  /** Path and query, already encoded: `/api/search?kb=kb_1`. */
  path: string;
  /** Sent as JSON with its exact length. */
  json?: unknown;
  signal?: AbortSignal;
}

/** The platform acting for itself (seeding, scheduled work) when it calls another service. */
export function serviceIdentity(service: string): Identity {
  return { userId: `svc_${service}`, username: service, role: 'admin', via: 'service', service };
}

export interface ServiceClient {
  /**
   * Calls another service directly (not through the gateway) as `identity`:
   * the user a job runs for, so the callee applies that user's access, or
   * `serviceIdentity(...)` for the platform's own work. The identity is
   * signed for this exact request like the gateway signs it.
   */
  request(identity: Identity, req: ServiceRequest): Promise<Response>;
  /**
   * `request` for an answer read whole as JSON (`body` null when it is not
   * JSON): no web streams, and a connection pool of its own, so a call on an
   * answer's path (an agent's retrieval) costs a fraction of `request`'s CPU.
   * A call that runs out of time rejects with an error named "TimeoutError".
   */
  json<T = unknown>(identity: Identity, req: ServiceRequest): Promise<ServiceAnswer<T>>;
}

export interface ServiceAnswer<T> {
  status: number;
  body: T | null;
}

export function createServiceClient({ secret, service, baseUrl, timeoutMs = 30_000 }: ServiceClientOptions): ServiceClient {
  const signer = createIdentitySigner(secret);
  const base = typeof baseUrl === 'function' ? baseUrl : () => baseUrl;
  // Idle connections are unreferenced by undici, so the pool never keeps a process alive.
  const pool = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs });

  function signed(identity: Identity, { method = 'GET', path, json }: ServiceRequest) {
    if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`service path must be absolute on the callee: ${path}`);
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson' };
    if (body) headers['content-type'] = 'application/json';
    // fetch sets Content-Length itself from the buffer; the signature covers the same value.
    const covered = body ? { ...headers, 'content-length': String(body.length) } : headers;
    const claims: Identity = { ...identity, via: 'service', service };
    headers[IDENTITY_HEADER] = signer.sign(claims, requestTarget({ method, originalUrl: path, headers: covered }));
    return { method, url: new URL(path, base()), headers, body };
  }

  return {
    async request(identity, req) {
      const { method, url, headers, body } = signed(identity, req);
      const timeout = AbortSignal.timeout(timeoutMs);
      return fetch(url, {
        method,
        headers,
        body,
        signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
      });
    },

    async json<T>(identity: Identity, req: ServiceRequest): Promise<ServiceAnswer<T>> {
      const { method, url, headers, body } = signed(identity, req);
      // undici's own timeouts bound each wait for bytes; this bounds the whole
      // call, so a callee that trickles its answer cannot hold it longer.
      const deadline = new AbortController();
      const expired = new DeadlineError();
      const timer = setTimeout(() => deadline.abort(expired), timeoutMs);
      const onAbort = () => deadline.abort(req.signal!.reason);
      if (req.signal?.aborted) onAbort();
      else req.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await pool.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method: method as 'GET', headers, body, signal: deadline.signal });
        const text = await res.body.text();
        let parsed: T | null = null;
        try {
          parsed = text ? (JSON.parse(text) as T) : null;
        } catch {
          parsed = null;
        }
        return { status: res.statusCode, body: parsed };
      } catch (error) {
        if (error === expired || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
          throw Object.assign(new Error(`${service} gave up on ${method} ${req.path} after ${timeoutMs} ms`, { cause: error }), { name: 'TimeoutError' });
        }
        throw error;
      } finally {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** The whole call outlasted `timeoutMs`. */
class DeadlineError extends Error {
  constructor() {
    super('the call ran past its deadline');
    this.name = 'DeadlineError';
  }
}
