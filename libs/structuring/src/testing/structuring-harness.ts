import request from 'supertest';
import { startSigningForwarder, TEST_IDENTITY_HEADER } from '@llmp/auth/testing';
import type { Role } from '@llmp/contracts';
import { createLogger, sleep } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { listen, type RunningServer } from '@llmp/http';
import { createJobQueue, type JobQueue } from '@llmp/queue';
import type { ChatEndpointOptions } from '../build/qa-generators';
import type { Build } from '../datasets/dataset';
import type { DatasetLimits } from '../datasets/datasets.service';
import { structuringMigrations } from '../migrations';
import { createStructuring, type Structuring } from '../structuring.app';
import { startFakeIngestion, type FakeIngestion } from './fake-ingestion';

export const testLog = createLogger({ name: 'test', level: 'silent' });
export const TEST_SECRET = 's'.repeat(32);

export interface StructuringHarness {
  db: Db;
  queue: JobQueue;
  structuring: Structuring;
  server: RunningServer;
  ingestion: FakeIngestion;
  /** A request as a user with this role, signed as the gateway would; the user is `usr_<role>` unless `userId` names another. */
  as(role: Role, userId?: string): {
    get(path: string): request.Test;
    post(path: string): request.Test;
    put(path: string): request.Test;
    patch(path: string): request.Test;
    delete(path: string): request.Test;
  };
  /** The forwarder's URL, for requests supertest cannot make (streams that break off). */
  forwarderUrl: string;
  waitForBuild(id: string, timeoutMs?: number): Promise<Build>;
  close(): Promise<void>;
}

export async function startStructuringHarness({ limits, chatEndpoint }: { limits?: Partial<DatasetLimits>; chatEndpoint?: ChatEndpointOptions } = {}): Promise<StructuringHarness> {
  const db = await createPgliteDb();
  await migrate(db, structuringMigrations);
  const queue = createJobQueue({ db, log: testLog, pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1, heartbeatIntervalSeconds: 0.25 });
  await queue.start();
  const ingestion = await startFakeIngestion({ secret: TEST_SECRET, log: testLog });
  const structuring = await createStructuring({ db, log: testLog, internalSecret: TEST_SECRET, queue, ingestionUrl: ingestion.url, limits, chatEndpoint, builds: { documentPollMs: 100, documentWaitMs: 5000 } });
  const server = await listen(structuring.app, { host: '127.0.0.1', port: 0 });
  const forwarder = await startSigningForwarder({ target: server.url, secret: TEST_SECRET });
  const as = (role: Role, userId = `usr_${role}`) => {
    const identity = JSON.stringify({ userId, username: userId.replace(/^usr_/, ''), role, via: 'token' });
    return {
      get: (url: string) => request(forwarder.url).get(url).set(TEST_IDENTITY_HEADER, identity),
      post: (url: string) => request(forwarder.url).post(url).set(TEST_IDENTITY_HEADER, identity),
      put: (url: string) => request(forwarder.url).put(url).set(TEST_IDENTITY_HEADER, identity),
      patch: (url: string) => request(forwarder.url).patch(url).set(TEST_IDENTITY_HEADER, identity),
      delete: (url: string) => request(forwarder.url).delete(url).set(TEST_IDENTITY_HEADER, identity),
    };
  };
  return {
    db,
    queue,
    structuring,
    server,
    ingestion,
    as,
    forwarderUrl: forwarder.url,
    async waitForBuild(id, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Build | null = null;
      while (Date.now() < deadline) {
        last = await structuring.builds.get(id, 'system');
        if (['completed', 'failed', 'cancelled'].includes(last.status)) return last;
        await sleep(100);
      }
      throw new Error(`build ${id} did not finish within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    },
    async close() {
      await forwarder.close();
      await server.close(1000);
      await structuring.app.locals.close?.();
      await queue.stop({ graceful: false });
      await ingestion.close();
      await db.close();
    },
  };
}
