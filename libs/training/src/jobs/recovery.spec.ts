import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createServiceClient } from '@llmp/auth';
import type { Identity } from '@llmp/contracts';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { trainingMigrations } from '../migrations';
import { createTraining, type Training } from '../training.app';
import { aVersion, startDatasetsStandIn, type DatasetsStandIn } from '../testing/datasets-stand-in';
import { aJob } from '../testing/builders';
import { chatRecords } from '../testing/records';
import { SECRET, SMALL_JOB, testLog } from '../testing/training-harness';
import type { Checkpoint, Job, JobEvent } from './job';

const alice: Identity = { userId: 'usr_alice', username: 'alice', role: 'user', via: 'token' };

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a training service killed with SIGKILL mid-job', () => {
  let dir: string;
  let datasets: DatasetsStandIn;
  let child: ChildProcess | null = null;
  let db: Db | null = null;
  let training: Training | null = null;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-training-kill-'));
    datasets = await startDatasetsStandIn({ secret: SECRET });
    datasets.versions.set('dsv_demo', aVersion('dsv_demo', chatRecords(24), chatRecords(6, 'val')));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await training?.app.locals.close?.();
    await db?.close();
    await datasets.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes the job from its last checkpoint in the next process and finishes it', async () => {
    const env = { ...process.env, NODE_OPTIONS: '', DATA_DIR: path.join(dir, 'pglite'), TRAINING_DIR: path.join(dir, 'training'), STRUCTURING_URL: datasets.url, SECRET };
    child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(__dirname, '../testing/training-service.process.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const [first] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { url } = JSON.parse(first) as { url: string };
    const client = createServiceClient({ secret: SECRET, service: 'test', baseUrl: url });
    const call = async <T>(method: string, p: string, json?: unknown): Promise<T> => {
      const res = await client.request(alice, { method, path: p, json });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    const job = await call<Job>('POST', '/api/training/jobs', { datasetVersionId: 'dsv_demo', model: 'llmp-llama-tiny', hyperparameters: { ...SMALL_JOB, nEpochs: 60, evalEvery: 40, checkpointEvery: 40 } });
    const saved = await waitFor('a checkpoint', async () => (await call<{ data: Checkpoint[] }>('GET', `/api/training/jobs/${job.id}/checkpoints`)).data[0], 60_000);
    const beforeKill = await call<Job>('GET', `/api/training/jobs/${job.id}`);
    expect(beforeKill.state).toBe('running');

    child.kill('SIGKILL');
    await once(child, 'exit');
    child = null;

    // The next process on the same database: PGlite has one owner at a time, and the old one is dead.
    db = await createPgliteDb({ dataDir: env.DATA_DIR });
    await migrate(db, trainingMigrations);
    const stuck = await db.query<{ state: string }>('select state from training.jobs where id = $1', [job.id]);
    expect(stuck.rows[0].state).toBe('running');
    training = createTraining({
      db,
      log: testLog,
      internalSecret: SECRET,
      trainingDir: env.TRAINING_DIR,
      structuringUrl: datasets.url,
      threads: 1,
      supervision: { stallTimeoutMs: 30_000, killGraceMs: 1000 },
      runner: { heartbeatMs: 300, pollMs: 200, staleSeconds: 2 },
    });
    const jobs = training.stores.jobs;
    const done = await waitFor('the job to finish', async () => {
      const j = await jobs.get(job.id);
      return j && ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : null;
    }, 120_000);
    expect(done).toMatchObject({ state: 'succeeded', attempt: 2, error: null });

    const events = (await jobs.listEvents(job.id, { limit: 200, order: 'asc' })).data.map((e: JobEvent) => e.message);
    const resumedAt = (await jobs.getCheckpoint(done.resumeCheckpointId!))!.step;
    expect(resumedAt).toBeGreaterThanOrEqual(saved.step);
    expect(events).toContain(`Attempt 1 stopped: its runner stopped responding (no heartbeat for 2 s); queued to resume from the checkpoint at step ${resumedAt}`);
    expect(events).toContain(`Fine-tuning job resumed from the checkpoint at step ${resumedAt} (attempt 2)`);
    expect(events.at(-1)).toBe('The job has successfully completed');
    expect(datasets.holds).not.toContain(`dsv_demo/${job.id}`);
  }, 240_000);

  it('fails a job whose runner was lost on its last attempt, with the reason', async () => {
    const jobs = training!.stores.jobs;
    const id = 'ftjob_lastattempt00000000000000';
    await jobs.insert(aJob({ id, hasValidation: false, workDir: path.join(dir, 'gone') }));
    await db!.query(`update training.jobs set state = 'running', attempt = 3, runner_id = 'runner_dead', heartbeat_at = now() - interval '1 hour' where id = $1`, [id]);
    await training!.runner.recover();
    expect(await jobs.get(id)).toMatchObject({
      state: 'failed',
      error: { code: 'runner_lost', message: 'its runner stopped responding (no heartbeat for 2 s) on attempt 3 of 3; the job is not retried again', param: null },
      finishedAt: expect.any(String),
    });
  });
});
