import type { Request } from 'express';
import type { Identity } from '@llmp/contracts';
import { UnauthorizedError } from '@llmp/http';
import { IDENTITY_HEADER, verifyIdentity } from './secrets';

/**
 * How services learn who is calling: only from an identity the gateway
 * signed. A request with a bearer token but no signed identity did not come
 * through the gateway and is refused.
 */
export function internalAuthenticator(secret: string) {
  return (req: Request): Identity | null => {
    const header = req.headers[IDENTITY_HEADER];
    if (typeof header !== 'string') {
      if (req.headers.authorization) {
        throw new UnauthorizedError({
          code: 'not_through_gateway',
          message: 'services accept requests only through the API gateway',
        });
      }
      return null;
    }
    const verdict = verifyIdentity(header, `${req.method} ${req.originalUrl}`, secret);
    if (!verdict.ok) throw new UnauthorizedError({ code: 'invalid_identity', message: verdict.reason });
    return verdict.identity;
  };
}
