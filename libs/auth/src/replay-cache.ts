export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

export interface ReplayCacheOptions {
  /** Most nonces held at once (about 100 bytes each). */
  maxEntries?: number;
  /** Seconds since the epoch; the same clock `verifyIdentity` judges expiry by. */
  now?: () => number;
}

export interface ReplayCache {
  /** Records a nonce valid until `expiresAt` (epoch seconds) and says whether it was new. */
  claim(nonce: string, expiresAt: number): ReplayVerdict;
  readonly size: number;
}

/**
 * The nonces a service has accepted, each kept until its identity expires:
 * after that the signature itself is refused, so the nonce need not be
 * remembered.
 *
 * Bounded: when full and nothing has expired, new nonces are refused
 * ('full') instead of forgetting live ones, because a forgotten live nonce
 * makes its header replayable. 300,000 entries (~30 MB) cover 10,000 signed
 * requests a second sustained over the 30 s validity, more than one service
 * process answers; past that callers get 503 until entries expire, which is
 * a capacity limit rather than a hole.
 *
 * The cache lives in one process: replicas of a service do not share it, so
 * a captured header could be replayed once to each other replica within its
 * 30 s. The binding to method, URL, body length and type still holds there.
 */
export function createReplayCache({ maxEntries = 300_000, now = () => Date.now() / 1000 }: ReplayCacheOptions = {}): ReplayCache {
  // Insertion order is close to expiry order (one TTL for every header), so
  // the front of the map is where expired nonces are.
  const seen = new Map<string, number>();
  // While full, nothing can be freed before this moment: no rescan until then.
  let nothingExpiresBefore = 0;

  function sweepFront(t: number) {
    for (const [nonce, exp] of seen) {
      if (exp >= t) return;
      seen.delete(nonce);
    }
  }

  function sweepAll(t: number) {
    let earliest = Infinity;
    for (const [nonce, exp] of seen) {
      if (exp < t) seen.delete(nonce);
      else earliest = Math.min(earliest, exp);
    }
    nothingExpiresBefore = earliest;
  }

  return {
    claim(nonce, expiresAt) {
      const t = now();
      sweepFront(t);
      if (seen.has(nonce)) return 'replayed';
      if (seen.size >= maxEntries) {
        if (t > nothingExpiresBefore) sweepAll(t);
        if (seen.size >= maxEntries) return 'full';
      }
      seen.set(nonce, expiresAt);
      return 'fresh';
    },
    get size() {
      return seen.size;
    },
  };
}
