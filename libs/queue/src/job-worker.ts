import type PgBoss from 'pg-boss';
import type { Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import { createBossDb } from './boss-db';
import { JobAbortedError, PermanentJobError, type JobAbortReason } from './errors';
import type { JobHandler, JobOutput, StopOptions } from './job-queue';

/** How long aborted handlers get to settle before a stopping worker abandons them. */
const ABORT_GRACE_MS = 1000;

export interface JobWorkerDeps {
  boss: PgBoss;
  db: Db;
  schema: string;
  queue: string;
  concurrency: number;
  pollingMs: number;
  heartbeatMs: number;
  handler: JobHandler<unknown, JobOutput | void>;
  log: Logger;
}

export interface JobWorker {
  readonly queue: string;
  /** Fires the AbortSignal of a job this worker is running; false if it runs none such. */
  abort(id: string, reason: JobAbortReason): boolean;
  /** Ends the current wait between polls: a job has just been sent to this queue. */
  wake(): void;
  stop(options?: StopOptions): Promise<void>;
}

interface Running {
  id: string;
  /** pg-boss bumps retry_count on every fetch after the first: it names this attempt. */
  retryCount: number;
  controller: AbortController;
  /** The handler has returned or thrown; only the bookkeeping is left. */
  finished: boolean;
  /** No longer ours (cancelled, expired) or given up on by stop(): leave the row alone. */
  detached: boolean;
  done: Promise<void>;
}

export interface JobFailurePayload {
  name: string;
  message: string;
  permanent: boolean;
  stack?: string;
}

function toFailurePayload(error: unknown): JobFailurePayload {
  const err = error instanceof Error ? error : new Error(String(error));
  return { name: err.name, message: err.message, permanent: err instanceof PermanentJobError, stack: err.stack };
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Our own loop over pg-boss's `fetch`/`complete`/`fail` rather than its
 * `work()`: pg-boss 10's worker runs a batch as one unit, fires
 * complete/fail without awaiting them (a failed write becomes an unhandled
 * rejection), gives handlers no way to learn of a cancel, and expires every
 * job `expireInSeconds` after it started however alive its worker is. Here
 * each job settles on its own, only while it is still ours, and a heartbeat
 * keeps a live worker's jobs from expiring, so `expireInSeconds` is the time
 * to notice a dead worker rather than a limit on how long a job may run.
 */
export function startJobWorker(deps: JobWorkerDeps): JobWorker {
  const { boss, db, schema, queue, concurrency, pollingMs, heartbeatMs, handler, log } = deps;
  const running = new Map<string, Running>();
  let stopping = false;
  let wakeUp: (() => void) | null = null;
  let wokenEarly = false;

  // Moves a live job's deadline to now + the queue's expiry (keeping
  // started_on true) and names the jobs that are still ours.
  const heartbeatSql = `
    update ${schema}.job j
       set expire_in = (now() - j.started_on) + make_interval(secs => coalesce(q.expire_seconds, 900))
      from ${schema}.queue q, unnest($2::uuid[], $3::int[]) as mine(id, retry_count)
     where j.name = $1 and q.name = j.name and j.id = mine.id
       and j.retry_count = mine.retry_count and j.state = 'active'
    returning j.id`;
  // Locks the row if this attempt still owns it. Resets expire_in, which the
  // heartbeat stretched, so a retry starts with the queue's own; a permanent
  // failure spends the remaining retries, which is how pg-boss decides
  // (`retry_count < retry_limit`) that a failed job will not run again.
  const claimSql = `
    update ${schema}.job
       set expire_in = make_interval(secs => coalesce((select expire_seconds from ${schema}.queue where name = $1), 900)),
           retry_limit = case when $4::boolean then retry_count else retry_limit end
     where name = $1 and id = $2::uuid and retry_count = $3 and state = 'active'
    returning id`;

  function wake(): void {
    if (wakeUp) wakeUp();
    else wokenEarly = true;
  }

  function nap(ms: number): Promise<void> {
    if (wokenEarly) {
      wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = finish;
    });
  }

  async function settle(job: Running, outcome: { output: JobOutput | null } | { error: unknown }): Promise<void> {
    const failure = 'error' in outcome ? toFailurePayload(outcome.error) : null;
    const settled = await db.transaction(async (tx) => {
      const { rows } = await tx.query(claimSql, [queue, job.id, job.retryCount, failure?.permanent ?? false]);
      if (rows.length === 0) return false;
      const options = { db: createBossDb(tx) };
      if (failure) await boss.fail(queue, job.id, failure, options);
      else await boss.complete(queue, job.id, (outcome as { output: JobOutput | null }).output as object, options);
      return true;
    });
    if (!settled) log.warn({ queue, jobId: job.id }, 'job finished after it stopped being ours; result dropped');
    else if (failure) log.warn({ queue, jobId: job.id, error: failure.message, permanent: failure.permanent }, 'job failed');
  }

  async function execute(job: Running, fetched: PgBoss.JobWithMetadata<unknown>): Promise<void> {
    let outcome: { output: JobOutput | null } | { error: unknown };
    try {
      const output = await handler({
        id: job.id,
        queue,
        data: fetched.data,
        attempt: job.retryCount + 1,
        signal: job.controller.signal,
      });
      outcome = { output: output ?? null };
    } catch (error) {
      outcome = { error };
    }
    job.finished = true;
    if (job.detached) return;
    await settle(job, outcome);
  }

  function begin(fetched: PgBoss.JobWithMetadata<unknown>): void {
    const job: Running = {
      id: fetched.id,
      retryCount: Number(fetched.retryCount),
      controller: new AbortController(),
      finished: false,
      detached: false,
      done: Promise.resolve(),
    };
    running.set(job.id, job);
    job.done = execute(job, fetched)
      .catch((err) => log.error({ err, queue, jobId: job.id }, 'could not record the outcome of a job'))
      .finally(() => {
        running.delete(job.id);
        wake();
      });
  }

  function abort(id: string, reason: JobAbortReason): boolean {
    const job = running.get(id);
    if (!job || job.finished) return false;
    if (reason !== 'stopping') job.detached = true;
    const message =
      reason === 'cancelled' ? 'job was cancelled' : reason === 'lost' ? 'job is no longer active for this worker' : 'job queue is stopping';
    job.controller.abort(new JobAbortedError(reason, message));
    return true;
  }

  let beating: Promise<void> | null = null;
  async function beat(): Promise<void> {
    const mine = [...running.values()].filter((job) => !job.finished && !job.detached);
    if (mine.length === 0) return;
    try {
      const { rows } = await db.query<{ id: string }>(heartbeatSql, [queue, mine.map((j) => j.id), mine.map((j) => j.retryCount)]);
      const alive = new Set(rows.map((row) => row.id));
      for (const job of mine) {
        if (alive.has(job.id) || job.finished) continue;
        const current = await boss.getJobById(queue, job.id);
        const reason = current?.state === 'cancelled' ? 'cancelled' : 'lost';
        if (abort(job.id, reason)) log.info({ queue, jobId: job.id, reason }, 'running job aborted');
      }
    } catch (err) {
      log.error({ err, queue }, 'job heartbeat failed');
    }
  }
  const heartbeat = setInterval(() => {
    beating ??= beat().finally(() => (beating = null));
  }, heartbeatMs);

  const loop = (async () => {
    while (!stopping) {
      const free = concurrency - running.size;
      if (free > 0) {
        try {
          const jobs = await boss.fetch<unknown>(queue, { batchSize: free, includeMetadata: true });
          for (const job of jobs) begin(job);
        } catch (err) {
          log.error({ err, queue }, 'could not fetch jobs');
        }
      }
      // A slot freeing up wakes the loop early: a busy queue is drained
      // without waiting a polling interval between jobs.
      if (!stopping) await nap(pollingMs);
    }
  })();

  return {
    queue,
    abort,
    wake,
    async stop({ graceful = true, timeoutMs = 30_000 }: StopOptions = {}) {
      if (stopping) return;
      stopping = true;
      wake();
      await loop;
      const allDone = () => Promise.allSettled([...running.values()].map((job) => job.done));
      if (graceful && running.size > 0) await withTimeout(allDone(), timeoutMs);
      if (running.size > 0) {
        for (const id of [...running.keys()]) abort(id, 'stopping');
        await withTimeout(allDone(), ABORT_GRACE_MS);
      }
      for (const job of running.values()) {
        // Its handler ignores the signal: like a dead worker's, the job
        // expires once the heartbeat stops, and is retried elsewhere.
        job.detached = true;
        log.warn({ queue, jobId: job.id }, 'abandoned a job whose handler ignored the abort signal');
      }
      clearInterval(heartbeat);
      await beating;
    },
  };
}
