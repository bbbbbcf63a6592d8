import PgBoss from 'pg-boss';
import type { Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import { createBossDb, type BossDb } from './boss-db';
import { startJobWorker, type JobFailurePayload, type JobWorker } from './job-worker';

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

/**
 * pg-boss queue policies. `standard`: no limits. `short`: one queued job per
 * singleton key. `singleton`: one active job per key. `stately`: one job per
 * key in each of queued, retrying and active.
 */
export type QueuePolicy = 'standard' | 'short' | 'singleton' | 'stately';

export interface JobQueueDeps {
  db: Db;
  log: Logger;
  /** Postgres schema that holds the queue's tables (default `queue`). */
  schema?: string;
  /**
   * How often an idle worker asks for jobs (default 10; at least 0.5). A job sent from this process
   * wakes its workers here at once, so the interval only bounds how late a worker sees jobs sent
   * by other processes, and retries that come due: a short one costs every idle service a query.
   */
  pollingIntervalSeconds?: number;
  /**
   * How often expired jobs are failed and finished ones archived (default 30;
   * at least 1). pg-boss runs it only once the previous run is strictly older
   * than this, so a run may come up to twice this apart.
   */
  maintenanceIntervalSeconds?: number;
  /** How often a worker renews its running jobs and learns of cancels (default 5). */
  heartbeatIntervalSeconds?: number;
}

export interface QueueOptions {
  /** Retries after the first attempt (default 2). */
  retryLimit?: number;
  /** Whole seconds before a retry (default 10). */
  retryDelaySeconds?: number;
  /** Double the delay on each retry, with jitter (default true). */
  retryBackoff?: boolean;
  /**
   * Heartbeat timeout (default 300): a running job whose worker stopped
   * beating for this long is failed by maintenance and retried. Must be at
   * least twice the heartbeat interval.
   */
  expireInSeconds?: number;
  /** Queue that receives a copy of each job that fails for good (created if missing). */
  deadLetter?: string;
  policy?: QueuePolicy;
}

export interface SendOptions {
  /** With a `short`, `singleton` or `stately` queue: a job whose key is taken is refused. */
  singletonKey?: string;
  startAfter?: Date;
  /** Higher runs first (default 0). */
  priority?: number;
}

export interface JobContext<T> {
  id: string;
  queue: string;
  data: T;
  /** 1 on the first run, 2 on the first retry… */
  attempt: number;
  /** Fires with a `JobAbortedError` when the job is cancelled, lost or the queue stops. */
  signal: AbortSignal;
}

/** What a handler may return; stored as the job's output (JSON). */
export type JobOutput = Record<string, unknown>;

export type JobHandler<T, O extends JobOutput | void = JobOutput | void> = (job: JobContext<T>) => Promise<O>;

export interface WorkOptions {
  /** Jobs this worker runs at once (default 1). */
  concurrency?: number;
}

export interface JobFailure {
  message: string;
  /** True when the handler threw `PermanentJobError` and retries were skipped. */
  permanent: boolean;
}

export interface Job<T = unknown, O extends JobOutput = JobOutput> {
  id: string;
  queue: string;
  state: JobState;
  data: T;
  /** What the handler returned, once completed. */
  output: O | null;
  /** The last failure, while the job waits for a retry or once it failed. */
  error: JobFailure | null;
  retryCount: number;
  retryLimit: number;
  createdOn: Date;
  startedOn: Date | null;
  completedOn: Date | null;
}

export interface StopOptions {
  /** Wait for running handlers before aborting them (default true). */
  graceful?: boolean;
  /** Longest graceful wait (default 30 000). */
  timeoutMs?: number;
}

export interface JobQueue {
  /** Creates or migrates the queue schema and starts maintenance. */
  start(): Promise<void>;
  /** Stops the workers (see `StopOptions`) and maintenance; the `Db` stays open. */
  stop(options?: StopOptions): Promise<void>;
  /** Creates the queue, or brings its options in line with these. */
  ensureQueue(name: string, options?: QueueOptions): Promise<void>;
  /** Resolves with the job id, or null when the queue's policy refused a duplicate. */
  send<T extends object>(name: string, data: T, options?: SendOptions): Promise<string | null>;
  work<T, O extends JobOutput | void = JobOutput | void>(name: string, options: WorkOptions, handler: JobHandler<T, O>): Promise<void>;
  /** Stops this process's workers on one queue (see `StopOptions`). */
  offWork(name: string, options?: StopOptions): Promise<void>;
  /** Cancels a queued or running job; false when it had already finished or does not exist. */
  cancel(name: string, id: string): Promise<boolean>;
  getJob<T = unknown, O extends JobOutput = JobOutput>(name: string, id: string): Promise<Job<T, O> | null>;
  /** Rejects unless the queue is started and its tables answer. */
  health(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

/** Our failures are `JobFailurePayload`s; pg-boss's own (expiry, shutdown) wrap a message in `value`. */
function toFailure(output: unknown): JobFailure | null {
  if (!output || typeof output !== 'object') return null;
  const stored = output as Partial<JobFailurePayload> & { value?: unknown };
  if (typeof stored.message === 'string') return { message: stored.message, permanent: stored.permanent === true };
  if (typeof stored.value === 'string') return { message: stored.value, permanent: false };
  const inner = stored.value as { message?: unknown } | undefined;
  if (inner && typeof inner.message === 'string') return { message: inner.message, permanent: false };
  return null;
}

function toJob<T, O extends JobOutput>(row: PgBoss.JobWithMetadata<T>): Job<T, O> {
  const state = row.state as JobState;
  return {
    id: row.id,
    queue: row.name,
    state,
    data: row.data,
    output: state === 'completed' ? ((row.output ?? null) as O | null) : null,
    error: state === 'failed' || state === 'retry' ? toFailure(row.output) : null,
    retryCount: Number(row.retryCount),
    retryLimit: Number(row.retryLimit),
    createdOn: toDate(row.createdOn) as Date,
    startedOn: toDate(row.startedOn),
    completedOn: toDate(row.completedOn),
  };
}

/** Deadlock, and a unique violation from a concurrent `create … if not exists` of the same object. */
const RACES = new Set(['40P01', '23505']);

async function retryOnRace<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!RACES.has((error as { code?: string }).code ?? '') || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}

function positive(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${name} must be at least ${min}, got ${value}`);
  return value;
}

export function createJobQueue({
  db,
  log,
  schema = 'queue',
  pollingIntervalSeconds = 10,
  maintenanceIntervalSeconds = 30,
  heartbeatIntervalSeconds = 5,
}: JobQueueDeps): JobQueue {
  const pollingMs = positive('pollingIntervalSeconds', pollingIntervalSeconds, 0.5) * 1000;
  const heartbeatMs = positive('heartbeatIntervalSeconds', heartbeatIntervalSeconds, 0.1) * 1000;
  const bossDb: BossDb = createBossDb(db);
  const boss = new PgBoss({
    db: bossDb,
    schema,
    // No cron: it would add an internal queue and a worker polling every 5 s.
    schedule: false,
    supervise: true,
    migrate: true,
    maintenanceIntervalSeconds: positive('maintenanceIntervalSeconds', maintenanceIntervalSeconds, 1),
  });
  // pg-boss reports maintenance failures as 'error' events; an EventEmitter
  // without a listener would throw them.
  boss.on('error', (err) => log.error({ err }, 'job queue maintenance failed'));
  const workers = new Set<JobWorker>();
  let state: 'new' | 'starting' | 'started' | 'stopped' = 'new';
  let definitions: Promise<unknown> = Promise.resolve();

  function assertStarted(): void {
    if (state !== 'started') throw new Error(`job queue is ${state === 'stopped' ? 'stopped' : 'not started'}`);
  }

  async function stopWorkers(selected: JobWorker[], options?: StopOptions): Promise<void> {
    for (const worker of selected) workers.delete(worker);
    await Promise.all(selected.map((worker) => worker.stop(options)));
  }

  return {
    async start() {
      if (state !== 'new') throw new Error(`job queue cannot start: it is ${state}`);
      state = 'starting';
      try {
        // pg-boss creates its schema on start; services starting together on a fresh database would
        // both create it (a duplicate-key error on the schema name), so they take turns here too.
        await db.withLock(`${schema}.queue-definitions`, () => retryOnRace(() => boss.start()));
      } catch (error) {
        state = 'new';
        throw error;
      }
      state = 'started';
      log.info({ schema }, 'job queue started');
    },

    async stop(options) {
      if (state !== 'started') return;
      state = 'stopped';
      await stopWorkers([...workers], options);
      await boss.stop({ graceful: false, close: false });
      // Maintenance may still be mid-query: let it finish before the caller closes the Db.
      await bossDb.drain();
      log.info({ schema }, 'job queue stopped');
    },

    async ensureQueue(name, options = {}) {
      assertStarted();
      const {
        retryLimit = 2,
        retryDelaySeconds = 10,
        retryBackoff = true,
        expireInSeconds = 300,
        deadLetter,
        policy = 'standard',
      } = options;
      if (expireInSeconds * 1000 < 2 * heartbeatMs) {
        throw new RangeError(
          `expireInSeconds (${expireInSeconds}) must be at least twice heartbeatIntervalSeconds (${heartbeatMs / 1000}), or live jobs expire`,
        );
      }
      // pg-boss validates and then adds fields to the options it is given: a fresh object per call.
      const bossOptions = (): PgBoss.Queue => ({
        name,
        policy,
        retryLimit,
        retryDelay: retryDelaySeconds,
        retryBackoff,
        expireInSeconds,
        ...(deadLetter ? { deadLetter } : {}),
      });
      // Creating a queue adds a partition to pg-boss's job table: services that start together
      // (ingestion and datasets on one fresh database) would deadlock on it, so they take turns,
      // and a deadlock with other work on those tables (maintenance) is retried.
      // One definition at a time in this process too: each turn holds a connection for its lock.
      const turn = definitions.then(() =>
        db.withLock(`${schema}.queue-definitions`, () =>
          retryOnRace(async () => {
            if (deadLetter) await boss.createQueue(deadLetter);
            // createQueue leaves an existing queue as it was; the update makes the code the source of truth.
            await boss.createQueue(name, bossOptions());
            await boss.updateQueue(name, bossOptions());
          }),
        ),
      );
      definitions = turn.catch(() => undefined);
      await turn;
    },

    async send(name, data, options = {}) {
      assertStarted();
      // pg sends a JS array as a Postgres array literal, which jsonb rejects.
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new TypeError(`job data for "${name}" must be a JSON object`);
      }
      const { singletonKey, startAfter, priority } = options;
      const id = await boss.send(name, data, {
        ...(singletonKey !== undefined ? { singletonKey } : {}),
        ...(startAfter ? { startAfter } : {}),
        ...(priority !== undefined ? { priority } : {}),
      });
      if (id) {
        // A job that may run now is fetched at once by this process's workers, not a polling interval later.
        if (!startAfter) for (const worker of workers) if (worker.queue === name) worker.wake();
        return id;
      }
      // pg-boss answers null both for a refused duplicate and for a queue that does not exist.
      if (!(await boss.getQueue(name))) throw new Error(`queue "${name}" does not exist; call ensureQueue first`);
      return null;
    },

    async work(name, { concurrency = 1 } = {}, handler) {
      assertStarted();
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
      if (!(await boss.getQueue(name))) throw new Error(`queue "${name}" does not exist; call ensureQueue first`);
      const worker = startJobWorker({
        boss,
        db,
        schema,
        queue: name,
        concurrency,
        pollingMs,
        heartbeatMs,
        handler: handler as JobHandler<unknown, JobOutput | void>,
        log,
      });
      workers.add(worker);
    },

    async offWork(name, options) {
      await stopWorkers([...workers].filter((worker) => worker.queue === name), options);
    },

    async cancel(name, id) {
      assertStarted();
      if (!UUID.test(id)) return false;
      // Typed as void, but pg-boss 10 resolves with { jobs, requested, affected }.
      const result = (await boss.cancel(name, id)) as unknown as { affected: number };
      // A worker of this process hears of it now; others at their next heartbeat.
      if (result.affected === 0) return false;
      for (const worker of workers) if (worker.queue === name) worker.abort(id, 'cancelled');
      return true;
    },

    async getJob<T, O extends JobOutput>(name: string, id: string) {
      assertStarted();
      if (!UUID.test(id)) return null;
      const row = await boss.getJobById<T>(name, id, { includeArchive: true });
      return row ? toJob<T, O>(row) : null;
    },

    async health() {
      assertStarted();
      await db.query(`select version from ${schema}.version`);
    },
  };
}
