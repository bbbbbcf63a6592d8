import type { NextFunction, Request, Response } from 'express';
import { InputError } from './errors';

export type RequestTargetVerdict = { ok: true; target: string } | { ok: false; code: string; message: string };

// RFC 3986 §2.3: percent-encoded unreserved characters are equivalent to the
// characters themselves, so they are decoded before routing.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function refuse(code: string, message: string): RequestTargetVerdict {
  return { ok: false, code, message };
}

/** Decodes %XX of unreserved characters, keeps every other escape as sent; null when an escape is malformed. */
function normaliseEscapes(segment: string): string | null {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const decoded = String.fromCharCode(parseInt(hex, 16));
    out += UNRESERVED.test(decoded) ? decoded : `%${hex}`;
    i += 2;
  }
  return out;
}

/**
 * The one form of request target this platform serves: origin-form
 * (`/path?query`, RFC 9112 §3.2.1) with no dot segments, no empty first
 * segment and no backslash. Everything else is refused rather than
 * normalised, because a URL parser would resolve it against another origin
 * (`//host/x`, `http://host/x`, `/\host`) or above the route that matched
 * (`/api/x/../../metrics`, also as `%2e%2e`).
 */
export function checkRequestTarget(raw: string): RequestTargetVerdict {
  if (!raw.startsWith('/')) {
    return refuse('invalid_request_target', 'the request target must be a path starting with "/" (absolute-form and asterisk-form targets are not accepted)');
  }
  const queryAt = raw.indexOf('?');
  const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const query = queryAt === -1 ? '' : raw.slice(queryAt);
  if (path.startsWith('//')) return refuse('invalid_request_target', 'the path must not start with "//"');
  if (path.includes('\\')) return refuse('invalid_request_target', 'the path must not contain a backslash');
  const segments: string[] = [];
  for (const segment of path.slice(1).split('/')) {
    const normalised = normaliseEscapes(segment);
    if (normalised === null) return refuse('malformed_path', `the path segment "${segment.slice(0, 64)}" is not valid percent-encoded UTF-8`);
    if (normalised === '.' || normalised === '..') return refuse('invalid_request_target', 'the path must not contain "." or ".." segments');
    segments.push(normalised);
  }
  if (query && normaliseEscapes(query) === null) return refuse('malformed_query', 'the query string has a malformed percent-encoding');
  return { ok: true, target: `/${segments.join('/')}${query}` };
}

/**
 * Refuses unsafe request targets before anything routes on them, and makes
 * every later step (routing, authentication, signing, proxying) see the same
 * normalised target.
 */
export function requestTargetGuard() {
  return (req: Request, _res: Response, next: NextFunction) => {
    const verdict = checkRequestTarget(req.url);
    if (!verdict.ok) return next(new InputError({ code: verdict.code, message: verdict.message }));
    if (verdict.target !== req.url) {
      req.url = verdict.target;
      req.originalUrl = verdict.target;
    }
    next();
  };
}
