import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@llmp/core';

declare module 'node:http' {
  interface IncomingMessage {
    /** This request's id: the caller's `x-request-id` when well formed, else a new UUID. */
    id?: string;
  }
}

export interface AccessLogOptions {
  log: Logger;
  /** Requests that get an id but no access log line (probes, scrapes). */
  ignore?: (req: IncomingMessage) => boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function levelOf(statusCode: number): 'error' | 'warn' | 'info' {
  if (statusCode >= 500) return 'error';
  return statusCode >= 400 ? 'warn' : 'info';
}

/**
 * Gives every request its id (echoed as `x-request-id`) and logs one line
 * when its response ends: info for 2xx/3xx, warn for 4xx, error for 5xx, in
 * the shape pino-http wrote. The line is built only when its level is
 * enabled, so a service at `warn` pays nothing for its successful requests.
 */
export function accessLog({ log, ignore = () => false }: AccessLogOptions) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('x-request-id', id);
    if (ignore(req)) return next();
    // What the caller sent, before any later step rewrites the URL.
    const { method, url } = req;
    const startedAt = Date.now();
    res.once('close', () => {
      const level = levelOf(res.statusCode);
      if (!log.isLevelEnabled(level)) return;
      const { statusCode } = res;
      const responseTime = Date.now() - startedAt;
      if (level === 'error') {
        const err = new Error(`failed with status code ${statusCode}`);
        log.error({ req: { id, method, url }, res: { statusCode }, err, responseTime }, 'request errored');
      } else {
        log[level]({ req: { id, method, url }, res: { statusCode }, responseTime }, 'request completed');
      }
    });
    next();
  };
}
