import type { Identity } from '@llmp/contracts';
import { UnauthorizedError, UnavailableError, type CallerRequest } from '@llmp/http';
import { createReplayCache, type ReplayCacheOptions } from './replay-cache';
import { createIdentitySigner, IDENTITY_HEADER, requestTarget } from './secrets';

export interface InternalAuthOptions {
  replayCache?: ReplayCacheOptions;
}

/**
 * How services learn who is calling: only from an identity the gateway
 * signed for this very request, and only once. A request with a bearer token
 * but no signed identity did not come through the gateway and is refused.
 */
export function internalAuthenticator(secret: string, { replayCache }: InternalAuthOptions = {}) {
  const seen = createReplayCache(replayCache);
  const signer = createIdentitySigner(secret);
  return (req: CallerRequest): Identity | null => {
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
    const verdict = signer.verify(header, requestTarget(req));
    if (!verdict.ok) throw new UnauthorizedError({ code: 'invalid_identity', message: verdict.reason });
    const replay = seen.claim(verdict.nonce, verdict.expiresAt);
    if (replay === 'replayed') throw new UnauthorizedError({ code: 'invalid_identity', message: 'identity was already used for another request' });
    if (replay === 'full') {
      throw new UnavailableError({ code: 'identity_cache_full', message: 'too many signed requests in the last minute; retry shortly' });
    }
    return verdict.identity;
  };
}
