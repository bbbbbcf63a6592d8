import type { Db, Subscription } from './db';

/** What a kept listener tells its owner; `onLost` and `onListening` bracket the time notifications may have been missed. */
export interface KeptListenerHandlers {
  onNotify(payload: string): void;
  /** Listening works (again): from now on no notification is missed. */
  onListening(): void;
  /** Listening stopped working: notifications are missed until `onListening` is called again. */
  onLost(error: Error): void;
}

export interface KeptListenerOptions {
  /** First wait before listening again after the connection is lost; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface KeptListener {
  start(): Promise<void>;
  /** Stops listening; `onLost` is not called for it. */
  stop(): Promise<void>;
}

/**
 * Listens on `channel` for as long as it runs: when the listening
 * connection is lost, or cannot be opened, it tries again with a doubling
 * wait. What caches on the strength of notifications (credentials, served
 * agents) must trust them only between `onListening` and `onLost`.
 */
export function createKeptListener(db: Db, channel: string, handlers: KeptListenerHandlers, { retryMs = 250, maxRetryMs = 5_000 }: KeptListenerOptions = {}): KeptListener {
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
      const opened = await db.listen(channel, {
        onNotify: handlers.onNotify,
        onLost: (error) => {
          subscription = undefined;
          if (stopped) return;
          handlers.onLost(error);
          listenAgainIn(retryMs);
        },
      });
      if (stopped) return void (await opened.close());
      subscription = opened;
      handlers.onListening();
    } catch (error) {
      if (stopped) return;
      handlers.onLost(error as Error);
      listenAgainIn(nextDelayMs);
    }
  }

  return {
    start: () => listen(retryMs),
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await subscription?.close();
      subscription = undefined;
    },
  };
}
