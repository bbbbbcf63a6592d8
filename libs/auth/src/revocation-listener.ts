import type { Logger } from '@llmp/core';
import type { Db, Subscription } from '@llmp/db';
import type { CredentialCache } from './credential-cache';
import { REVOCATION_CHANNEL } from './credentials.repository';

export interface RevocationListenerOptions {
  /** First wait before listening again after the connection is lost; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface RevocationListener {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps `cache` in step with revocations made by any gateway replica. The
 * cache is used only while the listening connection is up: when it is lost
 * the cache is emptied and disabled (every request asks the database) until
 * listening again succeeds, since revocations sent meanwhile are missed.
 */
export function createRevocationListener(
  { db, cache, log }: { db: Db; cache: CredentialCache; log: Logger },
  { retryMs = 250, maxRetryMs = 5_000 }: RevocationListenerOptions = {},
): RevocationListener {
  let subscription: Subscription | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

  function listenAgainIn(delayMs: number) {
    if (stopped) return;
    retry = setTimeout(() => void listen(Math.min(delayMs * 2, maxRetryMs)), delayMs);
    retry.unref();
  }

  async function listen(nextDelayMs: number): Promise<void> {
    try {
      const opened = await db.listen(REVOCATION_CHANNEL, {
        onNotify: (userId) => cache.forgetUser(userId),
        onLost: (error) => {
          cache.disable();
          subscription = undefined;
          log.warn({ err: error }, 'revocation listener lost; credentials are checked in the database until it is back');
          listenAgainIn(retryMs);
        },
      });
      if (stopped) return void (await opened.close());
      subscription = opened;
      cache.enable();
    } catch (error) {
      log.warn({ err: error }, 'cannot listen for revocations; credentials are checked in the database meanwhile');
      listenAgainIn(nextDelayMs);
    }
  }

  return {
    start: () => listen(retryMs),
    async stop() {
      stopped = true;
      clearTimeout(retry);
      cache.disable();
      await subscription?.close();
      subscription = undefined;
    },
  };
}
