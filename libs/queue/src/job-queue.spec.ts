import { createLogger, sleep } from '@llmp/core';
import type { Db } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import { createJobQueue, JobAbortedError, PermanentJobError, type Job, type JobQueue } from './index';

const log = createLogger({ name: 'test', level: 'silent' });

function aJobQueue(db: Db): JobQueue {
  return createJobQueue({ db, log, pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1, heartbeatIntervalSeconds: 0.25 });
}

let queues = 0;
const aQueueName = (label: string) => `${label}_${++queues}`;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects when `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` until it answers something other than undefined, for at most `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const attempts = Math.ceil(timeoutMs / intervalMs);
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(intervalMs);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe.each(testDatabases())('JobQueue on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  /** Plays the API process: sends, cancels and reads jobs, runs no workers. */
  let api: JobQueue;
  const workers: JobQueue[] = [];

  async function aWorkerProcess(): Promise<JobQueue> {
    const queue = aJobQueue(handle.db);
    workers.push(queue);
    await queue.start();
    return queue;
  }

  function settledJob(name: string, id: string, timeoutMs?: number): Promise<Job> {
    return eventually(async () => {
      const job = await api.getJob(name, id);
      return job && ['completed', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
    }, timeoutMs);
  }

  beforeAll(async () => {
    handle = await database.open();
    api = aJobQueue(handle.db);
    await api.start();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((queue) => queue.stop({ graceful: false })));
  });
  afterAll(async () => {
    await api.stop();
    await handle.close();
  });

  it('runs a job and records what its handler returned', async () => {
    const name = aQueueName('double');
    await api.ensureQueue(name);
    const worker = await aWorkerProcess();
    await worker.work<{ n: number }>(name, {}, async ({ data, attempt }) => ({ doubled: data.n * 2, attempt }));

    const id = (await api.send(name, { n: 2 })) as string;
    const job = await settledJob(name, id);

    expect(job).toMatchObject({ id, queue: name, state: 'completed', data: { n: 2 }, output: { doubled: 4, attempt: 1 }, error: null, retryCount: 0 });
    expect(job.startedOn).toBeInstanceOf(Date);
    expect(job.completedOn!.getTime()).toBeGreaterThanOrEqual(job.startedOn!.getTime());
  });

  it('runs a job sent from its own process at once, however long the idle polling interval', async () => {
    const name = aQueueName('local');
    await api.ensureQueue(name);
    const idle = createJobQueue({ db: handle.db, log, pollingIntervalSeconds: 60, maintenanceIntervalSeconds: 30, heartbeatIntervalSeconds: 0.25 });
    workers.push(idle);
    await idle.start();
    const ran = deferred<number>();
    await idle.work<{ n: number }>(name, {}, async ({ data }) => ran.resolve(data.n));
    // The worker's first fetch found nothing: it now waits out its 60 s interval unless woken.
    await sleep(300);

    await idle.send(name, { n: 7 });
    expect(await within(ran.promise, 5_000)).toBe(7);
  });

  it('retries a failing job after its delay, then fails it with the last error and dead-letters it', async () => {
    const name = aQueueName('flaky');
    const dead = `${name}_dead`;
    await api.ensureQueue(name, { retryLimit: 2, retryDelaySeconds: 1, retryBackoff: false, deadLetter: dead });
    const worker = await aWorkerProcess();
    const attempts: Array<{ attempt: number; at: number }> = [];
    await worker.work(name, {}, async ({ attempt }) => {
      attempts.push({ attempt, at: Date.now() });
      throw new Error(`boom on attempt ${attempt}`);
    });
    const deadLettered = deferred<unknown>();
    await worker.work(dead, {}, async ({ data }) => deadLettered.resolve(data));

    const id = (await api.send(name, { doc: 'd1' })) as string;
    const waiting = await eventually(async () => {
      const job = await api.getJob(name, id);
      return job?.state === 'retry' ? job : undefined;
    });
    expect(waiting.error).toEqual({ message: 'boom on attempt 1', permanent: false });
    const job = await settledJob(name, id);

    expect(job).toMatchObject({ state: 'failed', retryCount: 2, error: { message: 'boom on attempt 3', permanent: false } });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(900);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(900);
    expect(await within(deadLettered.promise)).toEqual({ doc: 'd1' });
  });

  it('fails a job at once, without retries, when its handler throws PermanentJobError', async () => {
    const name = aQueueName('bad_input');
    await api.ensureQueue(name, { retryLimit: 3, retryDelaySeconds: 0, retryBackoff: false });
    const worker = await aWorkerProcess();
    let calls = 0;
    await worker.work(name, {}, async () => {
      calls++;
      throw new PermanentJobError('document d1 has no text');
    });

    const id = (await api.send(name, { doc: 'd1' })) as string;
    const job = await settledJob(name, id);

    expect(job).toMatchObject({ state: 'failed', retryCount: 0, error: { message: 'document d1 has no text', permanent: true } });
    expect(calls).toBe(1);
  });

  it('fires the handler’s AbortSignal when another process cancels the job, and leaves it cancelled', async () => {
    const name = aQueueName('cancel');
    await api.ensureQueue(name, { retryLimit: 2, retryDelaySeconds: 0 });
    const worker = await aWorkerProcess();
    const started = deferred();
    const aborted = deferred<unknown>();
    let calls = 0;
    await worker.work(name, {}, ({ signal }) => {
      calls++;
      started.resolve();
      return new Promise<void>((_, reject) =>
        signal.addEventListener('abort', () => {
          aborted.resolve(signal.reason);
          reject(signal.reason);
        }),
      );
    });

    const id = (await api.send(name, {})) as string;
    await within(started.promise);
    expect(await api.cancel(name, id)).toBe(true);

    const reason = await within(aborted.promise, 5000);
    expect(reason).toBeInstanceOf(JobAbortedError);
    expect((reason as JobAbortedError).reason).toBe('cancelled');
    expect(await settledJob(name, id)).toMatchObject({ state: 'cancelled', error: null });
    expect(await api.cancel(name, id)).toBe(false);
    expect(calls).toBe(1);
  });

  it('keeps a job that outlives expireInSeconds alive while its worker beats', async () => {
    const name = aQueueName('long');
    await api.ensureQueue(name, { retryLimit: 1, retryDelaySeconds: 0, retryBackoff: false, expireInSeconds: 1 });
    const worker = await aWorkerProcess();
    const started = deferred();
    let calls = 0;
    await worker.work(name, {}, async ({ signal }) => {
      calls++;
      started.resolve();
      await sleep(2500);
      return { aborted: signal.aborted };
    });

    const id = (await api.send(name, {})) as string;
    await within(started.promise);
    await sleep(1500);
    const { rows } = await handle.db.query<{ running: number; left: number }>(
      `select extract(epoch from now() - started_on)::float8 as running,
              extract(epoch from started_on + expire_in - now())::float8 as left
         from queue.job where name = $1 and id = $2`,
      [name, id],
    );
    expect(rows[0].running).toBeGreaterThan(1);
    expect(rows[0].left).toBeGreaterThan(0);

    expect(await settledJob(name, id)).toMatchObject({ state: 'completed', output: { aborted: false }, retryCount: 0 });
    expect(calls).toBe(1);
  });

  it('retries a job whose worker vanished once its heartbeat times out', async () => {
    const name = aQueueName('vanish');
    await api.ensureQueue(name, { retryLimit: 1, retryDelaySeconds: 0, retryBackoff: false, expireInSeconds: 1 });
    const dying = await aWorkerProcess();
    const started = deferred<number>();
    // Ignores its signal and never settles: to the queue, a process that died mid-job.
    await dying.work(name, {}, ({ attempt }) => {
      started.resolve(attempt);
      return new Promise<void>(() => undefined);
    });

    const id = (await api.send(name, { doc: 'd1' })) as string;
    expect(await within(started.promise)).toBe(1);
    await dying.stop({ graceful: false });
    const stoppedAt = Date.now();
    expect((await api.getJob(name, id))?.state).toBe('active');

    const rescuer = await aWorkerProcess();
    const rescued: Array<{ attempt: number; at: number }> = [];
    await rescuer.work<{ doc: string }>(name, {}, async ({ attempt, data }) => {
      rescued.push({ attempt, at: Date.now() });
      return { doc: data.doc };
    });
    const job = await settledJob(name, id);

    expect(job).toMatchObject({ state: 'completed', output: { doc: 'd1' }, retryCount: 1 });
    expect(rescued.map((r) => r.attempt)).toEqual([2]);
    expect(rescued[0].at - stoppedAt).toBeGreaterThanOrEqual(700);
  });

  it('never runs a job twice when two processes work the same queue', async () => {
    const name = aQueueName('race');
    await api.ensureQueue(name, { retryLimit: 0 });
    const runs = new Map<string, string[]>();
    const handlerFor = (who: string) => async ({ id }: { id: string }) => {
      runs.set(id, [...(runs.get(id) ?? []), who]);
      await sleep(50);
      return {};
    };
    const [a, b] = [await aWorkerProcess(), await aWorkerProcess()];
    await a.work(name, { concurrency: 3 }, handlerFor('a'));
    await b.work(name, { concurrency: 3 }, handlerFor('b'));

    const ids = (await Promise.all(Array.from({ length: 30 }, (_, i) => api.send(name, { i })))) as string[];
    const jobs = await Promise.all(ids.map((id) => settledJob(name, id, 20_000)));

    expect(jobs.every((job) => job.state === 'completed')).toBe(true);
    expect([...runs.keys()].sort()).toEqual([...ids].sort());
    expect([...runs.values()].filter((who) => who.length !== 1)).toEqual([]);
    const byWorker = [...runs.values()].flat();
    expect(byWorker.filter((who) => who === 'a').length).toBeGreaterThan(0);
    expect(byWorker.filter((who) => who === 'b').length).toBeGreaterThan(0);
  });

  it('waits for running handlers when stopped gracefully', async () => {
    const name = aQueueName('drain');
    await api.ensureQueue(name);
    const worker = await aWorkerProcess();
    const started = deferred();
    await worker.work(name, {}, async ({ signal }) => {
      started.resolve();
      await sleep(300, signal);
      return { finished: true };
    });

    const id = (await api.send(name, {})) as string;
    await within(started.promise);
    await worker.stop();

    expect(await api.getJob(name, id)).toMatchObject({ state: 'completed', output: { finished: true } });
  });

  it('refuses a second queued job with the same singleton key', async () => {
    const name = aQueueName('dedupe');
    await api.ensureQueue(name, { policy: 'short' });

    expect(await api.send(name, { doc: 'd1' }, { singletonKey: 'd1' })).toEqual(expect.any(String));
    expect(await api.send(name, { doc: 'd1' }, { singletonKey: 'd1' })).toBeNull();
    expect(await api.send(name, { doc: 'd2' }, { singletonKey: 'd2' })).toEqual(expect.any(String));
  });

  it('rejects jobs for a queue that was never ensured, and data that is not an object', async () => {
    await expect(api.send(aQueueName('missing'), {})).rejects.toThrow(/does not exist; call ensureQueue first/);
    const name = aQueueName('typed');
    await api.ensureQueue(name);
    await expect(api.send(name, [1, 2])).rejects.toThrow(/must be a JSON object/);
  });

  it('answers null for a job that does not exist', async () => {
    const name = aQueueName('lookup');
    await api.ensureQueue(name);
    expect(await api.getJob(name, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await api.getJob(name, 'not-an-id')).toBeNull();
  });

  it('is healthy while started and not once stopped', async () => {
    await expect(api.health()).resolves.toBeUndefined();
    const other = await aWorkerProcess();
    await other.stop();
    await expect(other.health()).rejects.toThrow('job queue is stopped');
  });
});

const postgres = testDatabases().filter((d) => d.name === 'postgres');
// Without a Postgres server (no DATABASE_URL) there is nothing to start together on: the suite is skipped, not failed.
(postgres.length ? describe.each(postgres) : describe.skip.each([{ name: 'postgres' } as (typeof postgres)[number]]))('services starting together on one fresh $name database', (database) => {
  it('define their queues at the same time without a deadlock', async () => {
    const handle = await database.open();
    // Two services, as ingestion and datasets start beside each other in a staged release.
    const services = [aJobQueue(handle.db), aJobQueue(handle.db)];
    try {
      await Promise.all(services.map((queue) => queue.start()));
      await Promise.all(
        services.flatMap((queue, service) =>
          Array.from({ length: 4 }, (_, i) => queue.ensureQueue(`startup_${service}_${i}`, { deadLetter: `startup_${service}_${i}_dead` })),
        ),
      );
      for (const [service, queue] of services.entries()) {
        expect(await queue.send(`startup_${service}_3`, { n: service })).toEqual(expect.any(String));
      }
    } finally {
      for (const queue of services) await queue.stop();
      await handle.close();
    }
  });
});
