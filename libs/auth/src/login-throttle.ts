import { TooManyRequestsError } from '@llmp/http';

export interface ThrottlePolicy {
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** The first delay; each further failure doubles it. */
  baseDelayMs: number;
  /** No delay is ever longer than this, so no one is locked out for good. */
  maxDelayMs: number;
}

export interface LoginThrottleOptions {
  /** Per username: few free failures, since a person rarely mistypes more. */
  username?: Partial<ThrottlePolicy>;
  /** Per client address: more room, as offices share one address. */
  client?: Partial<ThrottlePolicy>;
  /** Counters are forgotten after this long without a failure; by default 15 min, or twice the longest delay if that is longer. */
  forgetAfterMs?: number;
  /** Most usernames and clients tracked at once; the least recently failed go first. */
  maxTracked?: number;
  now?: () => number;
}

export interface LoginAttempt {
  username: string;
  /** The caller's address as Express sees it through its `trust proxy` setting. */
  client?: string;
}

interface Counter {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

export interface LoginThrottle {
  /** Throws 429 with Retry-After when the username or the client must wait. */
  check(attempt: LoginAttempt): void;
  failed(attempt: LoginAttempt): void;
  succeeded(attempt: LoginAttempt): void;
}

/**
 * Growing delays after failed logins, per username and per client: after
 * the free failures each one doubles the wait, up to a cap of a few minutes.
 * Refused attempts do not count, so hammering cannot stretch the wait past
 * the cap; a legitimate user at worst waits out one capped delay. A success
 * clears the username's counter but not the client's, so an attacker cannot
 * reset their own address by logging in to an account of their own.
 *
 * Counters live in this process's memory: each gateway replica counts on its
 * own and a restart forgets them, so with N replicas an attacker gets up to N
 * times the attempts before the same delay. That still turns thousands of
 * guesses a minute into a handful; counters shared through Postgres would
 * close the gap at the cost of a write per attempt.
 */
export function createLoginThrottle({
  username: usernamePolicy,
  client: clientPolicy,
  forgetAfterMs,
  maxTracked = 100_000,
  now = Date.now,
}: LoginThrottleOptions = {}): LoginThrottle {
  const policies = {
    user: { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, ...usernamePolicy },
    client: { freeFailures: 20, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, ...clientPolicy },
  };
  const forgetMs = forgetAfterMs ?? Math.max(15 * 60_000, 2 * policies.user.maxDelayMs, 2 * policies.client.maxDelayMs);
  // Map order is least recently failed first: re-inserted on every failure.
  const counters = new Map<string, Counter>();

  const keysOf = ({ username, client }: LoginAttempt) => {
    const keys: Array<{ key: string; policy: ThrottlePolicy }> = [{ key: `user:${username.trim().toLowerCase().slice(0, 128)}`, policy: policies.user }];
    if (client) keys.push({ key: `client:${client}`, policy: policies.client });
    return keys;
  };

  function forgetStale(t: number) {
    for (const [key, counter] of counters) {
      if (t - counter.lastFailure < forgetMs && counters.size < maxTracked) return;
      counters.delete(key);
    }
  }

  return {
    check(attempt) {
      const t = now();
      forgetStale(t);
      const waitMs = Math.max(0, ...keysOf(attempt).map(({ key }) => (counters.get(key)?.blockedUntil ?? 0) - t));
      if (waitMs > 0) {
        throw new TooManyRequestsError({
          code: 'too_many_login_attempts',
          message: `too many failed logins; try again in ${Math.ceil(waitMs / 1000)} s`,
          retryAfterSeconds: Math.ceil(waitMs / 1000),
        });
      }
    },
    failed(attempt) {
      const t = now();
      for (const { key, policy } of keysOf(attempt)) {
        const previous = counters.get(key);
        const failures = (previous && t - previous.lastFailure < forgetMs ? previous.failures : 0) + 1;
        const over = failures - policy.freeFailures;
        const delay = over > 0 ? Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 30)) : 0;
        counters.delete(key);
        counters.set(key, { failures, lastFailure: t, blockedUntil: t + delay });
      }
      forgetStale(t);
    },
    succeeded(attempt) {
      counters.delete(keysOf(attempt)[0].key);
    },
  };
}
