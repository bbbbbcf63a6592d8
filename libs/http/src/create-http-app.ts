import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Identity } from '@llmp/contracts';
import { DomainError, type Logger } from '@llmp/core';
import { accessLog } from './access-log';
import { AppError, appErrorOf } from './errors';
import { checkHealth, type HealthCheck } from './health';
import { createHttpMetrics, type HttpMetrics } from './metrics';
import { buildOpenApi } from './openapi';
import { checkRequestTarget, requestTargetGuard } from './request-target';
import { toExpressHandler, type RouteSpec } from './routes';

/** What authentication reads of a request: Express's request, or a pass-through's. */
export interface CallerRequest {
  method: string;
  /** The path of the checked, normalised target, without its query. */
  path: string;
  /** The checked, normalised target (`/path?query`). */
  originalUrl: string;
  headers: IncomingHttpHeaders;
}

/** A request that a pass-through serves, with what the common front matter found out. */
export interface PassThroughRequest extends CallerRequest {
  /** The request as Node received it; its body is still unread. */
  raw: IncomingMessage;
  /** `https` when the connection is, or a trusted proxy's `X-Forwarded-Proto` says so. */
  protocol: string;
  id: string;
  identity: Identity | null;
}

/**
 * Requests served without Express's router: a proxy that only streams
 * bytes on. They get the same target check, request id, access log,
 * metrics, headers, authentication and error shape as every route; only
 * the router and Express's request and response objects are skipped.
 */
export interface PassThrough {
  /**
   * The route pattern (`/api/datasets/*`) of a checked, normalised path that
   * is the pass-through's, its `route` label in the metrics; undefined for
   * the app's own.
   */
  claims(path: string): string | undefined;
  /** Serves it; rejects with the error to answer when no response was started. */
  serve(req: PassThroughRequest, res: ServerResponse): Promise<void>;
}

export interface HttpAppOptions {
  service: string;
  version?: string;
  log: Logger;
  routes: RouteSpec[];
  /** Resolves the caller's identity; throw `UnauthorizedError` for bad credentials, return null for none. */
  authenticate?: (req: CallerRequest) => Promise<Identity | null> | Identity | null;
  health?: Record<string, HealthCheck>;
  /** False while starting or draining: `/readyz` answers 503 and load balancers stop sending traffic. */
  isReady?: () => boolean;
  /** Largest JSON body accepted (default 1mb); larger ones get 413. */
  bodyLimit?: string;
  /**
   * Mounts handlers that must see the raw, unparsed request (proxies,
   * streaming uploads) after authentication and before JSON parsing.
   */
  beforeBody?: (app: Express) => void;
  /** Mounts handlers after the API routes (static files, SPA fallbacks). */
  afterRoutes?: (app: Express) => void;
  passThrough?: PassThrough;
}

export interface HttpApp extends Express {
  /** Express's entry for every request (`app(req, res)` calls it). */
  handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  locals: Express['locals'] & {
    routes: RouteSpec[];
    metrics: HttpMetrics;
    service: string;
    /** Releases what the app holds (client pools, workers) once the server has drained. */
    close?: () => Promise<void>;
  };
}

export function requestIdOf(req: Request): string {
  return String(req.id ?? '');
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { service, version = '0.1.0', log, routes, authenticate, health = {}, isReady = () => true, bodyLimit = '1mb' } = options;
  const startedAt = Date.now();
  const app = express() as HttpApp;
  const metrics = createHttpMetrics(service);
  app.locals.routes = routes;
  app.locals.metrics = metrics;
  app.locals.service = service;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, uniquelocal');
  app.set('query parser', 'simple');

  const logAccess = accessLog({ log, ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' });
  app.use(logAccess);
  app.use(metrics.middleware);
  app.use(noSniff);
  app.use(requestTargetGuard());

  app.get('/healthz', async (_req, res) => {
    const report = await checkHealth({ service, version, checks: health, startedAt });
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.get('/readyz', (_req, res) => {
    const ready = isReady();
    res.status(ready ? 200 : 503).json({ ready, service });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(buildOpenApi({ title: `llmp ${service}`, version, routes }));
  });

  if (authenticate) {
    app.use(async (req: Request, _res: Response, next: NextFunction) => {
      (req as Request & { identity: Identity | null }).identity = await authenticate(req);
      next();
    });
  }
  options.beforeBody?.(app);
  app.use(express.json({ limit: bodyLimit }));

  for (const spec of routes) app[spec.method](spec.path, toExpressHandler(spec));
  options.afterRoutes?.(app);

  app.use((req: Request, res: Response) => {
    res.status(404).json({
      error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` },
      requestId: requestIdOf(req),
    });
  });
  app.use(errorHandler(log));
  if (options.passThrough) {
    const front = (req: IncomingMessage, res: ServerResponse) => logAccess(req, res, () => metrics.middleware(req, res, () => noSniff(req, res, () => undefined)));
    routePassThrough(app, options.passThrough, { front, authenticate, log });
  }
  return app;
}

function noSniff(_req: IncomingMessage, res: ServerResponse, next: () => void) {
  // Browsers must treat every answer as the type it declares (an uploaded HTML file served as JSON stays JSON).
  res.setHeader('x-content-type-options', 'nosniff');
  next();
}

/**
 * Puts the pass-through in front of Express's own entry, so every way the
 * app is served (its `listen`, a test's `request(app)`) takes the same road.
 * A request it does not claim, or whose target is refused, goes to Express
 * untouched, which answers it as before.
 */
function routePassThrough(
  app: HttpApp,
  passThrough: PassThrough,
  { front, authenticate, log }: { front: (req: IncomingMessage, res: ServerResponse) => void; authenticate: HttpAppOptions['authenticate']; log: Logger },
) {
  const expressEntry = app.handle.bind(app);
  const trusted = app.get('trust proxy fn') as (address: string | undefined, hop: number) => boolean;
  const protocolOf = (req: IncomingMessage) => {
    const own = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const forwarded = req.headers['x-forwarded-proto'];
    if (typeof forwarded !== 'string' || !trusted(req.socket.remoteAddress, 0)) return own;
    return forwarded.split(',')[0].trim() || own;
  };

  async function serve(request: PassThroughRequest, res: ServerResponse) {
    try {
      request.identity = (await authenticate?.(request)) ?? null;
      await passThrough.serve(request, res);
    } catch (error) {
      writeError(res, error, request.id, log);
    }
  }

  app.handle = (req, res, next) => {
    const verdict = checkRequestTarget(req.url ?? '');
    const target = verdict.ok ? verdict.target : '';
    const queryAt = target.indexOf('?');
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    const route = verdict.ok ? passThrough.claims(path) : undefined;
    if (route === undefined) return expressEntry(req, res, next);
    req.url = target;
    front(Object.assign(req, { route: { path: route } }), res);
    const method = req.method ?? 'GET';
    void serve({ raw: req, method, path, originalUrl: target, headers: req.headers, protocol: protocolOf(req), id: req.id ?? '', identity: null }, res);
  };
}

interface BodyParserError extends Error {
  status?: number;
  type?: string;
  expose?: boolean;
  limit?: number;
}

const BODY_ERRORS: Record<string, { code: string; message: (e: BodyParserError) => string }> = {
  'entity.parse.failed': { code: 'malformed_json', message: (e) => `request body is not valid JSON: ${e.message}` },
  'entity.too.large': { code: 'payload_too_large', message: (e) => `request body exceeds the limit of ${e.limit} bytes` },
  'encoding.unsupported': { code: 'unsupported_encoding', message: (e) => e.message },
  'charset.unsupported': { code: 'unsupported_charset', message: (e) => e.message },
  'request.aborted': { code: 'request_aborted', message: () => 'the client closed the request before sending the whole body' },
  'request.size.invalid': { code: 'invalid_content_length', message: () => 'the body length does not match Content-Length' },
};

/** The one place errors become status codes and the one error body shape. */
export function errorHandler(log: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => writeError(res, error, requestIdOf(req), log);
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** Answers `error` in the error shape with its status, or cuts the connection if the answer had already started. */
export function writeError(res: ServerResponse, error: unknown, requestId: string, log: Logger) {
  if (res.headersSent) {
    log.error({ err: error, requestId }, 'error after the response started');
    res.destroy();
    return;
  }
  if (error instanceof DomainError) error = appErrorOf(error);
  if (error instanceof AppError) {
    if (error.status >= 500) log.error({ err: error, requestId }, error.message);
    if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
    sendJson(res, error.status, {
      error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) },
      requestId,
    });
    return;
  }
  if (error instanceof URIError && (error as BodyParserError).status === 400) {
    // The router could not percent-decode a path segment (`%zz`, `%ff%fe`): the caller's mistake, not ours.
    sendJson(res, 400, {
      error: { code: 'malformed_path', message: `${error.message}: the path is not valid percent-encoded UTF-8` },
      requestId,
    });
    return;
  }
  const e = error as BodyParserError;
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    const known = e.type ? BODY_ERRORS[e.type] : undefined;
    sendJson(res, e.status, {
      error: { code: known?.code ?? 'invalid_request', message: known ? known.message(e) : e.message },
      requestId,
    });
    return;
  }
  log.error({ err: error, requestId }, 'unhandled error');
  sendJson(res, 500, { error: { code: 'internal', message: 'internal error; the request id identifies it in the logs' }, requestId });
}
