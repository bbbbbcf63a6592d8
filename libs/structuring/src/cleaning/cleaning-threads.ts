import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '@llmp/core';
import type { DatasetRecord } from '../records/record';
import type { CleaningTask } from './cleaning-tasks';

export interface CleaningRequest {
  id: number;
  records: DatasetRecord[];
  tasks: CleaningTask[];
}

export type CleaningResponse = { id: number; results: unknown[][] } | { id: number; error: string };

/** Worker threads that run the cleaning passes' per-record work (cleaning-tasks.ts) for batches of records. */
export interface CleaningThreads {
  readonly size: number;
  /** One array of results per task, in record order. */
  prepare(records: DatasetRecord[], tasks: CleaningTask[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** One thread fewer than the machine's cores, at least one: the calling thread applies the passes meanwhile. */
export function defaultCleaningThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

interface Pending {
  resolve(results: unknown[][]): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Why the thread can take no more work, once it cannot. */
  stopped: Error | null;
}

function startThread(): Promise<Thread> {
  const { filename, execArgv } = workerEntry(__dirname, 'cleaning-worker');
  const worker = new Worker(filename, { execArgv });
  const pending = new Map<number, Pending>();
  const thread: Thread = { worker, pending, stopped: null };
  const ready = new Promise<void>((resolve, reject) => pending.set(0, { resolve: () => resolve(), reject }));
  worker.on('message', (response: CleaningResponse) => {
    const waiting = pending.get(response.id);
    if (!waiting) return;
    pending.delete(response.id);
    if ('error' in response) waiting.reject(new Error(`a cleaning thread failed: ${response.error}`));
    else waiting.resolve(response.results);
  });
  const fail = (error: Error) => {
    thread.stopped ??= error;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  worker.on('error', (error) => fail(new Error(`a cleaning thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => fail(new Error(`a cleaning thread stopped (exit code ${code})`)));
  return ready.then(() => thread);
}

/** Starts `count` threads; batches go to them in turn. Close them when the run is over. */
export async function startCleaningThreads(count = defaultCleaningThreads()): Promise<CleaningThreads> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`cleaning threads must be a positive whole number, got ${count}`);
  const settled = await Promise.allSettled(Array.from({ length: count }, startThread));
  const threads = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(threads.map(({ worker }) => worker.terminate()));
    throw failed.reason;
  }
  let nextId = 1;
  let turn = 0;
  let closed = false;
  return {
    size: count,
    prepare(records, tasks) {
      if (closed) return Promise.reject(new Error('the cleaning threads are closed'));
      const { worker, pending, stopped } = threads[turn++ % threads.length];
      if (stopped) return Promise.reject(stopped);
      const id = nextId++;
      return new Promise<unknown[][]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, records, tasks } satisfies CleaningRequest);
      });
    },
    async close() {
      closed = true;
      await Promise.all(threads.map(({ worker }) => worker.terminate()));
    },
  };
}
