import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startSigningForwarder, TEST_IDENTITY_HEADER } from '@llmp/auth/testing';
import type { Role } from '@llmp/contracts';
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { listen, type RunningServer } from '@llmp/http';
import { trainingMigrations } from '../migrations';
import { createTraining, type Training, type TrainingOptions } from '../training.app';
import { aVersion, startDatasetsStandIn, type DatasetsStandIn } from './datasets-stand-in';
import { chatRecords } from './records';

export const testLog = createLogger({ name: 'test', level: 'silent' });
export const SECRET = 's'.repeat(32);

/** Small enough that a whole job takes seconds here. */
export const SMALL_JOB = { nEpochs: 2, batchSize: 4, contextLength: 32, vocabSize: 300, evalEvery: 4, checkpointEvery: 6, seed: 3 };

export interface Harness {
  db: Db;
  training: Training;
  datasets: DatasetsStandIn;
  server: RunningServer;
  url: string;
  trainingDir: string;
  as(role: Role, userId?: string): {
    get(path: string): request.Test;
    post(path: string): request.Test;
    delete(path: string): request.Test;
  };
  close(): Promise<void>;
}

/** The training service on PGlite behind a signing hop, with the datasets stand-in holding a demo version `dsv_demo`. */
export async function startHarness(options: Partial<TrainingOptions> = {}): Promise<Harness> {
  const db = await createPgliteDb();
  await migrate(db, trainingMigrations);
  const datasets = await startDatasetsStandIn({ secret: SECRET });
  datasets.versions.set('dsv_demo', aVersion('dsv_demo', chatRecords(24), chatRecords(6, 'val')));
  const trainingDir = await mkdtemp(path.join(os.tmpdir(), 'llmp-training-test-'));
  const training = createTraining({
    db,
    log: testLog,
    internalSecret: SECRET,
    trainingDir,
    structuringUrl: datasets.url,
    threads: 1,
    supervision: { stallTimeoutMs: 30_000, killGraceMs: 1000 },
    runner: { heartbeatMs: 300, pollMs: 200 },
    ...options,
  });
  const server = await listen(training.app);
  const forwarder = await startSigningForwarder({ target: server.url, secret: SECRET });
  const as = (role: Role, userId = `usr_${role}`) => {
    const identity = JSON.stringify({ userId, username: userId.replace(/^usr_/, ''), role, via: 'token' });
    return {
      get: (url: string) => request(forwarder.url).get(url).set(TEST_IDENTITY_HEADER, identity),
      post: (url: string) => request(forwarder.url).post(url).set(TEST_IDENTITY_HEADER, identity),
      delete: (url: string) => request(forwarder.url).delete(url).set(TEST_IDENTITY_HEADER, identity),
    };
  };
  return {
    db,
    training,
    datasets,
    server,
    url: forwarder.url,
    trainingDir,
    as,
    async close() {
      await forwarder.close();
      await server.close(1000);
      await training.app.locals.close?.();
      await datasets.close();
      await db.close();
      await rm(trainingDir, { recursive: true, force: true });
    },
  };
}

export async function waitForJob(h: Harness, id: string, done: (job: { state: string }) => boolean, timeoutMs = 120_000): Promise<Record<string, unknown> & { state: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await h.as('admin').get(`/api/training/jobs/${id}`).expect(200)).body;
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${job.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
