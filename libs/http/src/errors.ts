import { DomainError, type DomainErrorKind } from '@llmp/core';

export interface AppErrorOptions {
  code: string;
  status: number;
  message: string;
  details?: unknown;
  cause?: unknown;
  /** Seconds after which trying again may succeed; the error handler sends it as `Retry-After`. */
  retryAfterSeconds?: number;
}

/** An error whose message is safe to show the caller; its status says whose fault it is. */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;
  readonly retryAfterSeconds?: number;

  constructor({ code, status, message, details, cause, retryAfterSeconds }: AppErrorOptions) {
    super(message, { cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

type Shortcut = { message: string; code?: string; details?: unknown; cause?: unknown; retryAfterSeconds?: number };

function shortcut(status: number, defaultCode: string) {
  return class extends AppError {
    constructor(messageOrOptions: string | Shortcut) {
      const o = typeof messageOrOptions === 'string' ? { message: messageOrOptions } : messageOrOptions;
      super({ status, code: o.code ?? defaultCode, message: o.message, details: o.details, cause: o.cause, retryAfterSeconds: o.retryAfterSeconds });
    }
  };
}

export class InputError extends shortcut(400, 'invalid_request') {}
export class UnauthorizedError extends shortcut(401, 'unauthorized') {}
export class ForbiddenError extends shortcut(403, 'forbidden') {}
export class NotFoundError extends shortcut(404, 'not_found') {}
export class ConflictError extends shortcut(409, 'conflict') {}
export class PayloadTooLargeError extends shortcut(413, 'payload_too_large') {}
export class UnsupportedMediaTypeError extends shortcut(415, 'unsupported_media_type') {}
export class TooManyRequestsError extends shortcut(429, 'too_many_requests') {}
export class BadGatewayError extends shortcut(502, 'bad_gateway') {}
export class UnavailableError extends shortcut(503, 'unavailable') {}
export class GatewayTimeoutError extends shortcut(504, 'gateway_timeout') {}

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  upstream_failed: 502,
  unavailable: 503,
  upstream_timeout: 504,
};

/** The one mapping from what went wrong in the domain to the status code that says whose fault it is. */
export function statusOfDomainError(error: DomainError): number {
  return STATUS_OF_KIND[error.kind];
}

export function appErrorOf(error: DomainError): AppError {
  return new AppError({
    status: statusOfDomainError(error),
    code: error.code,
    message: error.message,
    details: error.details,
    cause: error,
    retryAfterSeconds: error.retryAfterSeconds,
  });
}
