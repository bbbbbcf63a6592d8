import type { IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { NextFunction, Request, Response } from 'express';
import { Agent, errors as undiciErrors } from 'undici';
import { createIdentitySigner, IDENTITY_HEADER, requestTarget } from '@llmp/auth';
import type { Logger } from '@llmp/core';
import { BadGatewayError, GatewayTimeoutError, identityOf, requestIdOf } from '@llmp/http';

export interface Upstream {
  /** Service name shown in errors and health (`document-ingestion`). */
  name: string;
  /** Path prefixes this service answers, e.g. `/api/ingestion`. */
  prefixes: string[];
  /** Where the service listens; only its origin is used. */
  url: string;
}

export interface ServiceProxyOptions {
  upstreams: Upstream[];
  internalSecret: string;
  log: Logger;
  /** How long to wait for response headers; long streams are bounded by `bodyTimeoutMs`. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * A credential the service checks itself (agent keys on `/v1`), forwarded
   * as `Authorization: Bearer`; every other credential stops here.
   */
  passBearer?: (req: Request) => string | undefined;
}

// Connection-level headers describe one hop and must not be forwarded (RFC 9110 §7.6.1).
// `expect` is answered here: Node sends `100 Continue` to the client itself,
// and the upstream request is not one that waits for it.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
  'expect',
]);

/** Hop-by-hop headers plus those the `Connection` header names for this hop only. */
function hopByHop(headers: IncomingHttpHeaders): Set<string> {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  return named.length ? new Set([...HOP_BY_HOP, ...named]) : HOP_BY_HOP;
}

function forwardedHeaders(req: Request): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const skip = hopByHop(req.headers);
  for (const [name, value] of Object.entries(req.headers as IncomingHttpHeaders)) {
    if (value === undefined || skip.has(name)) continue;
    // Credentials stop at the gateway; services trust only the signed identity.
    if (name === 'authorization' || name === 'cookie' || name === 'x-api-key' || name === IDENTITY_HEADER) continue;
    out[name] = value;
  }
  out['x-request-id'] = requestIdOf(req);
  out['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  out['x-forwarded-proto'] = req.protocol;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  return out;
}

function matches(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || (prefix === '' && path.startsWith('/'));
}

/**
 * Streams `/api/<area>/…` to the owning service with undici: bodies are
 * piped both ways, never buffered, and a dead or slow service becomes a
 * JSON 502/504 naming it.
 */
export function createServiceProxy({
  upstreams,
  internalSecret,
  log,
  headersTimeoutMs = 30_000,
  bodyTimeoutMs = 300_000,
  connectTimeoutMs = 5_000,
  passBearer = () => undefined,
}: ServiceProxyOptions) {
  const signer = createIdentitySigner(internalSecret);
  // One request per connection at a time (a slow answer must not hold up the
  // next one behind it), connections kept open between requests.
  const dispatcher = new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 30_000, connections: 128, pipelining: 1 });
  const ordered = upstreams
    .flatMap((u) => u.prefixes.map((prefix) => ({ prefix, upstream: u, origin: new URL(u.url).origin })))
    .sort((a, b) => b.prefix.length - a.prefix.length);

  async function handler(req: Request, res: Response, next: NextFunction) {
    const match = ordered.find(({ prefix }) => matches(req.path, prefix));
    if (!match) return next();
    const { upstream, origin } = match;
    const headers = forwardedHeaders(req);
    const bearer = passBearer(req);
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    // A declared body is forwarded whatever the method, exactly as it came, so
    // the length the identity is bound to is the length the service receives.
    const hasBody = req.method !== 'HEAD' && ((req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined);
    const identity = identityOf(req);
    if (identity) headers[IDENTITY_HEADER] = signer.sign(identity, requestTarget(req));
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      // The origin is fixed per route and the path is the normalised target the
      // route matched (see requestTargetGuard); nothing the caller sends can change the host.
      const upstreamRes = await dispatcher.request({
        origin,
        path: req.originalUrl,
        method: req.method as 'GET',
        headers,
        body: hasBody ? req : undefined,
        headersTimeout: headersTimeoutMs,
        bodyTimeout: bodyTimeoutMs,
        signal: abort.signal,
      });
      res.status(upstreamRes.statusCode);
      const skip = hopByHop(upstreamRes.headers);
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value !== undefined && !skip.has(name)) res.setHeader(name, value as string | string[]);
      }
      await pipeline(upstreamRes.body, res);
    } catch (error) {
      if (abort.signal.aborted || res.headersSent) {
        if (!res.writableEnded) res.destroy();
        return;
      }
      throw translate(error, upstream, headersTimeoutMs, log);
    }
  }

  return { handler, close: () => dispatcher.close() };
}

function translate(error: unknown, upstream: Upstream, timeoutMs: number, log: Logger): Error {
  const code = (error as { code?: string }).code;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatewayTimeoutError({
      code: 'upstream_timeout',
      message: `${upstream.name} did not answer within ${timeoutMs} ms`,
      details: { service: upstream.name },
    });
  }
  log.warn({ service: upstream.name, code, err: error }, 'upstream unreachable');
  const reason = code === 'ECONNREFUSED' ? 'connection refused' : code ?? (error as Error).message;
  return new BadGatewayError({
    code: 'upstream_unavailable',
    message: `${upstream.name} is not reachable (${reason}); check its health at /healthz`,
    details: { service: upstream.name },
  });
}
