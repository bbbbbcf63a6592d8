import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Identity } from '@llmp/contracts';
import { DomainError, type Logger } from '@llmp/core';
import { accessLog } from './access-log';
import { AppError, appErrorOf } from './errors';
import { checkHealth, type HealthCheck } from './health';
import { createHttpMetrics, type HttpMetrics } from './metrics';
import { buildOpenApi } from './openapi';
import { requestTargetGuard } from './request-target';
import { toExpressHandler, type RouteSpec } from './routes';

export interface HttpAppOptions {
  service: string;
  version?: string;
  log: Logger;
  routes: RouteSpec[];
  /** Resolves the caller's identity; throw `UnauthorizedError` for bad credentials, return null for none. */
  authenticate?: (req: Request) => Promise<Identity | null> | Identity | null;
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
}

export interface HttpApp extends Express {
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

  app.use(accessLog({ log, ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' }));
  app.use(metrics.middleware);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    // Browsers must treat every answer as the type it declares (an uploaded HTML file served as JSON stays JSON).
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  });
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
  return app;
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
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = requestIdOf(req);
    if (res.headersSent) {
      log.error({ err: error, requestId }, 'error after the response started');
      res.destroy();
      return;
    }
    if (error instanceof DomainError) error = appErrorOf(error);
    if (error instanceof AppError) {
      if (error.status >= 500) log.error({ err: error, requestId }, error.message);
      if (error.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
      res.status(error.status).json({
        error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) },
        requestId,
      });
      return;
    }
    if (error instanceof URIError && (error as BodyParserError).status === 400) {
      // The router could not percent-decode a path segment (`%zz`, `%ff%fe`): the caller's mistake, not ours.
      res.status(400).json({
        error: { code: 'malformed_path', message: `${error.message}: the path is not valid percent-encoded UTF-8` },
        requestId,
      });
      return;
    }
    const e = error as BodyParserError;
    if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
      const known = e.type ? BODY_ERRORS[e.type] : undefined;
      res.status(e.status).json({
        error: { code: known?.code ?? 'invalid_request', message: known ? known.message(e) : e.message },
        requestId,
      });
      return;
    }
    log.error({ err: error, requestId }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; the request id identifies it in the logs' }, requestId });
  };
}
