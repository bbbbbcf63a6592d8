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
}

export function createServiceClient({ secret, service, baseUrl, timeoutMs = 30_000 }: ServiceClientOptions): ServiceClient {
  const signer = createIdentitySigner(secret);
  const base = typeof baseUrl === 'function' ? baseUrl : () => baseUrl;
  return {
    async request(identity, { method = 'GET', path, json, signal }) {
      if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`service path must be absolute on the callee: ${path}`);
      const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
      const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson' };
      if (body) headers['content-type'] = 'application/json';
      // fetch sets Content-Length itself from the buffer; the signature covers the same value.
      const signed = body ? { ...headers, 'content-length': String(body.length) } : headers;
      const claims: Identity = { ...identity, via: 'service', service };
      headers[IDENTITY_HEADER] = signer.sign(claims, requestTarget({ method, originalUrl: path, headers: signed }));
      const timeout = AbortSignal.timeout(timeoutMs);
      return fetch(new URL(path, base()), {
        method,
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    },
  };
}
