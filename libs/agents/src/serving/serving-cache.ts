import type { AgentKey } from '@llmp/contracts';
import type { ServedAgent } from '../agents/agent.store';

export interface ServingCacheOptions {
  /** How long a looked-up key or agent version is used without asking the database (default 10 s). */
  ttlMs?: number;
  /** Entries of each kind kept at most; the least recently used go first (default 10,000). */
  maxEntries?: number;
  now?: () => number;
}

/** A stamp taken before a lookup: its result is kept only if nothing changed in between. */
export type Stamp = number;

export interface ServingCache {
  readonly enabled: boolean;
  /** Keeps entries from now on (while changes are heard). */
  enable(): void;
  /** Forgets everything and keeps nothing until `enable` (changes may be missed meanwhile). */
  disable(): void;
  /** Forgets everything: a key or a served version changed somewhere. */
  changed(): void;
  stamp(): Stamp;
  key(secretHash: string): AgentKey | undefined;
  keepKey(secretHash: string, key: AgentKey, stamp: Stamp): void;
  served(model: string): ServedAgent | undefined;
  keepServed(model: string, served: ServedAgent, stamp: Stamp): void;
}

function lru<T>(maxEntries: number, ttlMs: number, now: () => number) {
  // Map order is recency order: a hit moves its entry to the back.
  const entries = new Map<string, { value: T; until: number }>();
  return {
    get(id: string): T | undefined {
      const entry = entries.get(id);
      if (!entry) return undefined;
      entries.delete(id);
      if (entry.until <= now()) return undefined;
      entries.set(id, entry);
      return entry.value;
    },
    set(id: string, value: T) {
      entries.delete(id);
      entries.set(id, { value, until: now() + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    clear: () => entries.clear(),
  };
}

/**
 * Saves an answer the database round trip that finds its key and agent
 * version (a few milliseconds of its time to first token). Any change to a
 * key or to which version serves empties it, on this replica at once and on
 * the others when they hear it; while they cannot hear, they keep nothing.
 * Found rows only: an unknown key or model always asks the database. Keys
 * are kept by their secret's hash, never the secret.
 */
export function createServingCache({ ttlMs = 10_000, maxEntries = 10_000, now = Date.now }: ServingCacheOptions = {}): ServingCache {
  const keys = lru<AgentKey>(maxEntries, ttlMs, now);
  const versions = lru<ServedAgent>(maxEntries, ttlMs, now);
  let enabled = false;
  let changes = 0;
  const forget = () => {
    changes++;
    keys.clear();
    versions.clear();
  };
  return {
    get enabled() {
      return enabled;
    },
    enable() {
      // A lookup that began while nothing was heard may hold a changed row: it must not be kept.
      changes++;
      enabled = true;
    },
    disable() {
      enabled = false;
      forget();
    },
    changed: forget,
    stamp: () => changes,
    key: (secretHash) => (enabled ? keys.get(secretHash) : undefined),
    keepKey(secretHash, key, stamp) {
      if (enabled && stamp === changes) keys.set(secretHash, key);
    },
    served: (model) => (enabled ? versions.get(model) : undefined),
    keepServed(model, served, stamp) {
      if (enabled && stamp === changes) versions.set(model, served);
    },
  };
}
