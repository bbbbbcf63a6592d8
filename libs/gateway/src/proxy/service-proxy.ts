import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { createIdentitySigner, IDENTITY_HEADER, requestTarget } from '@llmp/auth';
import type { Logger } from '@llmp/core';
import { BadGatewayError, GatewayTimeoutError, identityOf, requestIdOf, type CallerRequest, type PassThroughRequest } from '@llmp/http';

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
  passBearer?: (req: CallerRequest) => string | undefined;
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
  if (!headers.connection) return HOP_BY_HOP;
  // Most answers name only `keep-alive`, already in the set: no new set for those.
  const named = String(headers.connection)
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name && !HOP_BY_HOP.has(name));
  return named.length ? new Set([...HOP_BY_HOP, ...named]) : HOP_BY_HOP;
}

function forwardedHeaders(req: PassThroughRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const skip = hopByHop(req.headers);
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value === undefined || skip.has(name)) continue;
    // Credentials stop at the gateway; services trust only the signed identity.
    if (name === 'authorization' || name === 'cookie' || name === 'x-api-key' || name === IDENTITY_HEADER) continue;
    out[name] = value;
  }
  out['x-request-id'] = req.id;
  out['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.raw.socket.remoteAddress].filter(Boolean).join(', ');
  out['x-forwarded-proto'] = req.protocol;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  return out;
}

function matches(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || (prefix === '' && path.startsWith('/'));
}

/**
 * Streams `/api/<area>/…` to the owning service with undici: bodies are
 * passed on both ways as they arrive, never buffered, and a dead or slow
 * service becomes a JSON 502/504 naming it.
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

  const upstreamOf = (path: string) => ordered.find(({ prefix }) => matches(path, prefix));

  /** Streams the request to the service that owns its path, which `claims` has said there is. */
  function forward(req: PassThroughRequest, res: ServerResponse): Promise<void> {
    const match = upstreamOf(req.path);
    if (!match) return Promise.reject(new Error(`no service owns ${req.path}`));
    const { upstream, origin } = match;
    const headers = forwardedHeaders(req);
    const bearer = passBearer(req);
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    // A declared body is forwarded whatever the method, exactly as it came, so
    // the length the identity is bound to is the length the service receives.
    const hasBody = req.method !== 'HEAD' && ((req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined);
    if (req.identity) headers[IDENTITY_HEADER] = signer.sign(req.identity, requestTarget(req));
    return new Promise<void>((resolve, reject) => {
      const exchange = new ProxyExchange(res, upstream, (error) => {
        if (error) reject(translate(error, upstream, headersTimeoutMs, log));
        else resolve();
      });
      // The origin is fixed per route and the path is the normalised target the
      // route matched (see checkRequestTarget); nothing the caller sends can change the host.
      dispatcher.dispatch(
        {
          origin,
          path: req.originalUrl,
          method: req.method as Dispatcher.HttpMethod,
          headers,
          body: hasBody ? req.raw : undefined,
          headersTimeout: headersTimeoutMs,
          bodyTimeout: bodyTimeoutMs,
        },
        exchange,
      );
    });
  }

  /** The same, as Express middleware behind the app's own authentication. */
  function handler(req: Request, res: Response, next: NextFunction): Promise<void> | void {
    if (!upstreamOf(req.path)) return next();
    const { method, path, originalUrl, headers, protocol } = req;
    return forward({ raw: req, method, path, originalUrl, headers, protocol, id: requestIdOf(req), identity: identityOf(req) }, res);
  }

  /** The prefix of the service that owns `path`, as a route pattern. */
  const claims = (path: string) => {
    const match = upstreamOf(path);
    return match && `${match.prefix}/*`;
  };
  return { claims, serve: forward, handler, close: () => dispatcher.close() };
}

/**
 * One proxied request, written straight from undici's callbacks to the
 * client's response: no intermediate body stream, and the upstream request
 * is aborted only if the client goes away first. `done` is called once,
 * with the error when no response could be started (to become a 502/504),
 * without one in every other case.
 */
class ProxyExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  /** Headers copied from the service's answer, taken back if it fails before a byte is written. */
  private copied: string[] = [];
  private clientGone = false;
  private settled = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly upstream: Upstream,
    private readonly done: (error?: unknown) => void,
  ) {
    res.once('close', this.onClientClose);
  }

  private readonly onClientClose = () => {
    if (this.res.writableFinished) return;
    this.clientGone = true;
    this.controller?.abort(new ClientClosedError(this.upstream.name));
  };

  private readonly onDrain = () => this.controller?.resume();

  private finish(error?: unknown) {
    if (this.settled) return;
    this.settled = true;
    this.res.off('close', this.onClientClose);
    this.done(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController) {
    this.controller = controller;
    // The client left while the request waited for a connection.
    if (this.clientGone) controller.abort(new ClientClosedError(this.upstream.name));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders) {
    // Informational answers (103 Early Hints) are not passed on; the final one follows.
    if (statusCode < 200) return;
    const { res } = this;
    res.statusCode = statusCode;
    const skip = hopByHop(headers);
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !skip.has(name)) {
        res.setHeader(name, value);
        this.copied.push(name);
      }
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer) {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd() {
    this.res.end();
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error) {
    const { res } = this;
    res.off('drain', this.onDrain);
    if (this.clientGone || res.headersSent) {
      if (!res.writableEnded) res.destroy();
      this.finish();
      return;
    }
    // The 502/504 that follows is the gateway's own answer: none of the service's headers (its length, its type) belong on it.
    for (const name of this.copied) res.removeHeader(name);
    this.finish(error);
  }
}

class ClientClosedError extends Error {
  constructor(service: string) {
    super(`the client closed the connection before ${service} had answered`);
    this.name = 'ClientClosedError';
  }
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
