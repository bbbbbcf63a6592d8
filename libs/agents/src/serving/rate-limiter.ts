export interface KeyLimits {
  /** Requests per minute; null means no limit. */
  rpm: number | null;
  /** Prompt and completion tokens per minute; null means no limit. */
  tpm: number | null;
}

export interface Admission {
  allowed: boolean;
  /** OpenAI's `x-ratelimit-*` headers for the limits the key has. */
  headers: Record<string, string>;
  /** Seconds until the call that was refused may succeed. */
  retryAfterSeconds: number;
  /** Which limit refused the call. */
  exceeded: 'requests' | 'tokens' | null;
  /** Replaces this call's token estimate by what it really used, once known. */
  settle(tokens: number): void;
}

export interface RateLimiter {
  /** Counts the call against the key's limits when they allow it; `estimatedTokens` is reserved until `settle`. */
  admit(keyId: string, limits: KeyLimits, estimatedTokens: number): Admission;
}

const WINDOW_MS = 60_000;

interface Entry {
  at: number;
  tokens: number;
}

/** `12.3s`, the way OpenAI's reset headers read. */
const duration = (ms: number) => `${Math.max(0, Math.ceil(ms / 100) / 10)}s`;

/**
 * Sliding one-minute windows per key, in this process: each call and its
 * tokens count for sixty seconds after it was admitted. With several
 * replicas each enforces the limits on the calls it receives.
 */
export function createRateLimiter({ now = () => Date.now(), maxKeys = 100_000 }: { now?: () => number; maxKeys?: number } = {}): RateLimiter {
  const windows = new Map<string, Entry[]>();

  const live = (keyId: string, at: number) => {
    const entries = (windows.get(keyId) ?? []).filter((e) => e.at > at - WINDOW_MS);
    if (entries.length) windows.set(keyId, entries);
    else windows.delete(keyId);
    return entries;
  };

  return {
    admit(keyId, { rpm, tpm }, estimatedTokens) {
      const at = now();
      const entries = live(keyId, at);
      const usedTokens = entries.reduce((sum, e) => sum + e.tokens, 0);
      const requestsOver = rpm !== null && entries.length >= rpm;
      const tokensOver = tpm !== null && usedTokens + estimatedTokens > tpm;
      const allowed = !requestsOver && !tokensOver;

      // When enough of the window will have passed for this call to fit.
      const requestsResetMs = rpm !== null && entries.length >= rpm ? entries[entries.length - rpm].at + WINDOW_MS - at : entries.length ? entries[0].at + WINDOW_MS - at : 0;
      let tokensResetMs = 0;
      if (tpm !== null && usedTokens + estimatedTokens > tpm) {
        let freed = 0;
        for (const e of entries) {
          freed += e.tokens;
          tokensResetMs = e.at + WINDOW_MS - at;
          if (usedTokens - freed + estimatedTokens <= tpm) break;
        }
      } else if (entries.length) tokensResetMs = entries[0].at + WINDOW_MS - at;

      const entry: Entry = { at, tokens: estimatedTokens };
      if (allowed) {
        if (!windows.has(keyId) && windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
        windows.set(keyId, [...entries, entry]);
      }
      const headers: Record<string, string> = {};
      if (rpm !== null) {
        headers['x-ratelimit-limit-requests'] = String(rpm);
        headers['x-ratelimit-remaining-requests'] = String(Math.max(0, rpm - entries.length - (allowed ? 1 : 0)));
        headers['x-ratelimit-reset-requests'] = duration(requestsResetMs);
      }
      if (tpm !== null) {
        headers['x-ratelimit-limit-tokens'] = String(tpm);
        headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tpm - usedTokens - (allowed ? estimatedTokens : 0)));
        headers['x-ratelimit-reset-tokens'] = duration(tokensResetMs);
      }
      const retryAfterMs = Math.max(requestsOver ? requestsResetMs : 0, tokensOver ? tokensResetMs : 0);
      return {
        allowed,
        headers,
        retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryAfterMs / 1000)),
        exceeded: requestsOver ? 'requests' : tokensOver ? 'tokens' : null,
        settle(tokens) {
          entry.tokens = tokens;
        },
      };
    },
  };
}
