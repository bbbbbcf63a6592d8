/**
 * What went wrong, in the domain's words. Services and stores throw these
 * without knowing about HTTP; `libs/http` turns each kind into a status code
 * in one place, so a library depends on the transport only in its routes.
 */
export const DOMAIN_ERROR_KINDS = [
  'invalid',
  'not_found',
  'forbidden',
  'conflict',
  'too_large',
  'unprocessable',
  'rate_limited',
  'unavailable',
  'upstream_failed',
  'upstream_timeout',
] as const;
export type DomainErrorKind = (typeof DOMAIN_ERROR_KINDS)[number];

export interface DomainErrorOptions {
  /** Stable, machine-readable reason (`dataset_not_found`), shown to callers. */
  code: string;
  message: string;
  /** Safe to show the caller: which field, line or limit. */
  details?: unknown;
  cause?: unknown;
  /** When trying again may succeed. */
  retryAfterSeconds?: number;
}

export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  readonly code: string;
  readonly details?: unknown;
  readonly retryAfterSeconds?: number;

  constructor(kind: DomainErrorKind, { code, message, details, cause, retryAfterSeconds }: DomainErrorOptions) {
    super(message, { cause });
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

type Options = Omit<DomainErrorOptions, 'code'> & { code?: string };
const make = (kind: DomainErrorKind, defaultCode: string) => (messageOrOptions: string | Options) => {
  const o = typeof messageOrOptions === 'string' ? { message: messageOrOptions } : messageOrOptions;
  return new DomainError(kind, { ...o, code: o.code ?? defaultCode });
};

/** Factories for the common kinds: `throw notFound({ code: 'dataset_not_found', message: … })`. */
export const invalid = make('invalid', 'invalid_request');
export const notFound = make('not_found', 'not_found');
export const forbidden = make('forbidden', 'forbidden');
export const conflict = make('conflict', 'conflict');
export const tooLarge = make('too_large', 'too_large');
export const unprocessable = make('unprocessable', 'unprocessable');
export const rateLimited = make('rate_limited', 'rate_limited');
export const unavailable = make('unavailable', 'unavailable');
export const upstreamFailed = make('upstream_failed', 'upstream_failed');
export const upstreamTimeout = make('upstream_timeout', 'upstream_timeout');
