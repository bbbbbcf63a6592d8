import { UnavailableError } from '@llmp/http';

export interface HashPoolOptions {
  /** Hashes computed at once; each scrypt holds 128 MiB and one libuv thread. */
  concurrency?: number;
  /** Hashes allowed to wait for a slot; past that callers get 503 with Retry-After. */
  maxQueue?: number;
}

export interface HashPool {
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

/**
 * Bounds password hashing. scrypt runs on libuv's threadpool (4 threads by
 * default), which file system calls and DNS lookups share: two hashes at a
 * time leave threads for them and cap scrypt's memory at 256 MiB, and a short
 * queue in front means a burst of logins waits a few seconds at most and is
 * then refused instead of piling up.
 */
export function createHashPool({ concurrency = 2, maxQueue = 16 }: HashPoolOptions = {}): HashPool {
  let active = 0;
  const waiting: Array<() => void> = [];

  function release() {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (active < concurrency) {
        active++;
      } else {
        if (waiting.length >= maxQueue) {
          throw new UnavailableError({
            code: 'password_hashing_busy',
            message: 'too many password checks are in progress; retry in a moment',
            retryAfterSeconds: 2,
          });
        }
        // The slot is handed over by `release`, so `active` stays counted.
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get waiting() {
      return waiting.length;
    },
  };
}
