import { rateLimited, unavailable } from '@llmp/core';

export interface SlotOptions {
  /** Generations that run at once. */
  concurrency: number;
  /** Callers that may wait for a slot; more are refused with 429. */
  queueSize: number;
  /** A caller that waited this long is refused with 503. */
  queueTimeoutMs: number;
}

export interface Slots {
  /** Resolves with the release function once a slot is free; rejects when the queue is full, the wait too long, or `signal` aborts. */
  acquire(signal: AbortSignal): Promise<() => void>;
  readonly running: number;
  readonly waiting: number;
}

/** A bounded number of concurrent generations with a bounded, timed queue in front. */
export function createSlots({ concurrency, queueSize, queueTimeoutMs }: SlotOptions): Slots {
  let running = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    running--;
    queue.shift()?.();
  };
  const once = () => {
    let released = false;
    return () => {
      if (!released) {
        released = true;
        release();
      }
    };
  };
  return {
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      if (running < concurrency) {
        running++;
        return Promise.resolve(once());
      }
      if (queue.length >= queueSize) {
        return Promise.reject(
          rateLimited({ code: 'model_busy', message: `the model is busy: ${running} answers running and ${queue.length} waiting; retry shortly`, retryAfterSeconds: 1 }),
        );
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          cleanup();
          running++;
          resolve(once());
        };
        const leave = (error: Error) => {
          cleanup();
          const at = queue.indexOf(grant);
          if (at >= 0) queue.splice(at, 1);
          reject(error);
        };
        const timer = setTimeout(
          () => leave(unavailable({ code: 'model_overloaded', message: `no model slot became free within ${queueTimeoutMs} ms; retry shortly`, retryAfterSeconds: Math.ceil(queueTimeoutMs / 1000) })),
          queueTimeoutMs,
        );
        const onAbort = () => leave(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        const cleanup = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        queue.push(grant);
      });
    },
  };
}
