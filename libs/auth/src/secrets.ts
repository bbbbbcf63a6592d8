import { createHash, createHmac, createSecretKey, randomBytes, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { roleSchema, type Identity } from '@llmp/contracts';

/** Opaque bearer secrets: `<prefix>_<43 random base64url chars>`; only their SHA-256 is stored. */
export function generateSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export const IDENTITY_HEADER = 'x-llmp-identity';

interface SignedIdentity extends Identity {
  /** The request this signature is good for, so a captured header cannot be replayed elsewhere. */
  target: string;
  /** Random and single-use: each service accepts a given nonce once. */
  nonce: string;
  exp: number;
}

function mac(payload: string, key: KeyObject): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export interface SignableRequest {
  method?: string;
  originalUrl?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : (value ?? ''));

/**
 * What an identity is bound to: the request line and the body's declared
 * length and type. The gateway forwards both headers unchanged, so it and the
 * service compute the same string; a captured header then cannot carry a body
 * of another size or kind.
 */
export function requestTarget(req: SignableRequest): string {
  return [
    `${req.method} ${req.originalUrl ?? req.url}`,
    // No length and a length of 0 both mean no body; clients and proxies send either.
    `content-length: ${headerValue(req.headers['content-length']) || '0'}`,
    `content-type: ${headerValue(req.headers['content-type'])}`,
  ].join('\n');
}

export type IdentityVerdict =
  | { ok: true; identity: Identity; nonce: string; expiresAt: number }
  | { ok: false; reason: string };


export interface IdentitySigner {
  /**
   * The gateway vouches for a caller with a short-lived, single-use HMAC
   * over the identity and the exact request (see `requestTarget`); services
   * trust nothing else.
   */
  sign(identity: Identity, target: string, ttlSeconds?: number): string;
  /** Checks signature, expiry and target; whether the nonce was seen before is the caller's `ReplayCache`'s business. */
  verify(header: string, target: string): IdentityVerdict;
}

/**
 * How long a signed identity is good for. It is checked when the request
 * arrives, so it only has to outlast the hop and the clocks' difference;
 * every service remembers each nonce this long (see `createReplayCache`).
 */
export const IDENTITY_TTL_SECONDS = 30;

const NONCE_BYTES = 16;
const NONCES_PER_DRAW = 256;

/**
 * 128-bit nonces from the CSPRNG, drawn 4 KiB at a time: each nonce is still
 * sixteen fresh random bytes used once (as unique and unguessable as one
 * `randomBytes(16)` call), and signing pays one call into OpenSSL per 256
 * requests instead of one per request.
 */
function createNonceSource() {
  const block = Buffer.alloc(NONCE_BYTES * NONCES_PER_DRAW);
  let offset = block.length;
  return {
    next(): string {
      if (offset === block.length) {
        randomFillSync(block);
        offset = 0;
      }
      const nonce = block.toString('base64url', offset, offset + NONCE_BYTES);
      offset += NONCE_BYTES;
      return nonce;
    },
  };
}

/**
 * Signs and verifies with one prepared key, so each request pays for its own
 * nonce and HMAC only, not for turning the secret into a key again.
 */
export function createIdentitySigner(secret: string): IdentitySigner {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const nonces = createNonceSource();
  return {
    sign(identity, target, ttlSeconds = IDENTITY_TTL_SECONDS) {
      const claims: SignedIdentity = {
        ...identity,
        target,
        nonce: nonces.next(),
        exp: Math.floor(Date.now() / 1000) + ttlSeconds,
      };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `v1.${payload}.${mac(payload, key)}`;
    },
    verify(header, target) {
      const [version, payload, signature] = header.split('.');
      if (version !== 'v1' || !payload || !signature) return { ok: false, reason: 'malformed identity header' };
      const expected = Buffer.from(mac(payload, key));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
        return { ok: false, reason: 'identity signature does not match' };
      }
      let claims: SignedIdentity;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return { ok: false, reason: 'malformed identity header' };
      }
      if (typeof claims.exp !== 'number' || claims.exp < Math.floor(Date.now() / 1000)) return { ok: false, reason: 'identity has expired' };
      if (claims.target !== target) return { ok: false, reason: 'identity was signed for another request' };
      if (typeof claims.nonce !== 'string' || claims.nonce.length < 16) return { ok: false, reason: 'identity carries no nonce' };
      if (!roleSchema.safeParse(claims.role).success) return { ok: false, reason: 'identity names an unknown role' };
      return {
        ok: true,
        identity: { userId: claims.userId, username: claims.username, role: claims.role, via: claims.via, ...(claims.service ? { service: claims.service } : {}) },
        nonce: claims.nonce,
        expiresAt: claims.exp,
      };
    },
  };
}

/** One-off signing (tests, tools); long-lived callers keep a `createIdentitySigner`. */
export function signIdentity(identity: Identity, target: string, secret: string, ttlSeconds = IDENTITY_TTL_SECONDS): string {
  return createIdentitySigner(secret).sign(identity, target, ttlSeconds);
}

export function verifyIdentity(header: string, target: string, secret: string): IdentityVerdict {
  return createIdentitySigner(secret).verify(header, target);
}
