import type { Identity } from '@llmp/contracts';

export interface CredentialCacheOptions {
  /** How long a looked-up session or API key is trusted without asking the database (default 10 s). */
  ttlMs?: number;
  /** Entries kept at most; the least recently used go first (default 10,000). */
  maxEntries?: number;
  now?: () => number;
}

export interface CredentialCache {
  /** Whether entries are kept at all: only while revocations are being heard. */
  readonly enabled: boolean;
  enable(): void;
  /** Forgets everything and keeps nothing until `enable`. */
  disable(): void;
  get(secretHash: string): Identity | undefined;
  /** A stamp to take before the database lookup whose result is then passed to `set`. */
  stamp(): number;
  /**
   * Keeps `identity` unless a revocation arrived since `stamp`: the lookup
   * may have read the row before the revocation committed.
   */
  set(secretHash: string, identity: Identity, { stamp, expiresAt }: { stamp: number; expiresAt: Date | null }): void;
  forgetUser(userId: string): void;
  readonly size: number;
}

/**
 * Saves the gateway a database round trip per request for a credential it
 * has just checked. An entry lives at most `ttlMs` and never past the
 * credential's own expiry; revocations (logout, disable, reset, key revoke,
 * role change) remove it at once, which is why the cache keeps nothing while
 * it cannot hear them. Keyed by the secret's SHA-256, never the secret.
 */
export function createCredentialCache({ ttlMs = 10_000, maxEntries = 10_000, now = Date.now }: CredentialCacheOptions = {}): CredentialCache {
  // Map order is recency order: a hit moves its entry to the back.
  const entries = new Map<string, { identity: Identity; expiresAt: number }>();
  let enabled = false;
  let revocations = 0;

  return {
    get enabled() {
      return enabled;
    },
    enable() {
      // A lookup that began while nothing was heard may hold a revoked row: it must not be kept.
      revocations++;
      enabled = true;
    },
    disable() {
      enabled = false;
      revocations++;
      entries.clear();
    },
    get(secretHash) {
      const entry = entries.get(secretHash);
      if (!entry) return undefined;
      entries.delete(secretHash);
      if (entry.expiresAt <= now()) return undefined;
      entries.set(secretHash, entry);
      return entry.identity;
    },
    stamp: () => revocations,
    set(secretHash, identity, { stamp, expiresAt }) {
      if (!enabled || stamp !== revocations) return;
      const until = Math.min(now() + ttlMs, expiresAt ? expiresAt.getTime() : Infinity);
      entries.delete(secretHash);
      entries.set(secretHash, { identity, expiresAt: until });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    forgetUser(userId) {
      revocations++;
      for (const [hash, entry] of entries) if (entry.identity.userId === userId) entries.delete(hash);
    },
    get size() {
      return entries.size;
    },
  };
}
