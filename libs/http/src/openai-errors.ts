import type { Express, NextFunction, Request, Response } from 'express';
import { DomainError, type Logger } from '@llmp/core';
import { AppError, statusOfDomainError } from './errors';
import type { Problem } from './validate';

/** OpenAI's error body, which its clients turn into typed errors (`BadRequestError`, `NotFoundError`, …) with `param` and `code`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** What a service adds for its own domain errors: another status (say 401 for a bad API key) or response headers. */
export interface OpenAiErrorOverrides {
  status?: number;
  headers?: Record<string, string>;
}

export interface OpenAiErrorOptions {
  overrides?: (error: DomainError) => OpenAiErrorOverrides | undefined;
}

const TYPE_OF_STATUS: Record<number, string> = { 401: 'invalid_request_error', 403: 'permission_error', 404: 'invalid_request_error', 429: 'rate_limit_error' };

interface BodyParserError {
  status?: number;
  expose?: boolean;
  message: string;
  type?: string;
}

/**
 * The request field an error is about, as OpenAI names it (`training_file`,
 * `hyperparameters.n_epochs`): a domain error's `details.param`, or the first
 * field a request validation named, without its `body.`/`query.` prefix.
 */
function paramOf(details: unknown): string | null {
  if (details && typeof details === 'object' && !Array.isArray(details) && typeof (details as { param?: unknown }).param === 'string') return (details as { param: string }).param;
  if (Array.isArray(details) && details.length && typeof (details[0] as Problem).path === 'string') {
    return (details[0] as Problem).path.replace(/^(?:body|query|params)\.?/, '') || null;
  }
  return null;
}

/** Any error as OpenAI's status and body; a server error is logged, and its cause never reaches the caller. */
export function openAiError(error: unknown, log: Logger, options: OpenAiErrorOptions = {}): { status: number; body: OpenAiErrorBody; headers: Record<string, string> } {
  let status = 500;
  let message = 'The server had an error while processing your request; the request id identifies it in the logs';
  let code: string | null = 'internal_error';
  let param: string | null = null;
  let retryAfter: number | undefined;
  let headers: Record<string, string> = {};
  if (error instanceof DomainError) {
    const overrides = options.overrides?.(error);
    status = overrides?.status ?? statusOfDomainError(error);
    ({ message, code } = error);
    param = paramOf(error.details);
    retryAfter = error.retryAfterSeconds;
    headers = { ...overrides?.headers };
  } else if (error instanceof AppError) {
    ({ status, message, code } = error);
    param = paramOf(error.details);
    retryAfter = error.retryAfterSeconds;
  } else if (error instanceof URIError && (error as BodyParserError).status === 400) {
    // The router could not percent-decode a path segment (`%zz`, `%ff%fe`): the caller's mistake, not ours.
    status = 400;
    message = `${error.message}: the path is not valid percent-encoded UTF-8`;
    code = 'malformed_path';
  } else {
    const e = error as BodyParserError;
    if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
      status = e.status;
      message = e.type === 'entity.parse.failed' ? `We could not parse the JSON body of your request: ${e.message}` : e.message;
      code = e.type === 'entity.too.large' ? 'request_too_large' : 'invalid_request';
    }
  }
  if (status >= 500) log.error({ err: error }, message);
  if (retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  const type = TYPE_OF_STATUS[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  return { status, body: { error: { message, type, param, code } }, headers };
}

/** After the routes: unknown paths under `prefix` and every error there answer in OpenAI's shape. */
export function mountOpenAiErrors(app: Express, prefix: string, log: Logger, options: OpenAiErrorOptions = {}): void {
  app.use(prefix, (req: Request, res: Response) => {
    const body: OpenAiErrorBody = { error: { message: `Invalid URL (${req.method} ${req.originalUrl})`, type: 'invalid_request_error', param: null, code: 'unknown_url' } };
    res.status(404).json(body);
  });
  app.use(prefix, (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const { status, body, headers } = openAiError(error, log, options);
    res.set(headers).status(status).json(body);
  });
}
