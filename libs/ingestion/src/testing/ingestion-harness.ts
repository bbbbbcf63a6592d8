import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { startSigningForwarder, TEST_IDENTITY_HEADER } from '@llmp/auth/testing';
import { SYSTEM, type Document, type Role } from '@llmp/contracts';
import { createLogger, sleep } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { listen, type RunningServer } from '@llmp/http';
import { createJobQueue, type JobQueue } from '@llmp/queue';
import type { BlobStore } from '../blob-store/blob-store';
import { createFsBlobStore } from '../blob-store/fs-blob-store';
import { createEmbedderCatalog, type EmbedderCatalog } from '../embedding/embedder-catalog';
import { createIngestion, type Ingestion, type IngestionAppDeps, type PipelineOptions } from '../ingestion.app';
import type { Lexer } from '../search/lexer';
import { ingestionMigrations } from '../migrations';
import { createPgvectorStore } from '../vector-store/pgvector-store';
import type { VectorStore } from '../vector-store/vector-store';

export const testLog = createLogger({ name: 'test', level: 'silent' });
const SECRET = 's'.repeat(32);

/** Fast queue timings: a dead worker is noticed in about two seconds. */
export function aTestQueue(db: Db): JobQueue {
  return createJobQueue({ db, log: testLog, pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1, heartbeatIntervalSeconds: 0.25 });
}

export const FAST_PIPELINE: PipelineOptions = { retryLimit: 2, retryDelaySeconds: 0, expireInSeconds: 1, reconcileIntervalMs: 300, concurrency: 2 };

export interface Harness {
  db: Db;
  blobs: BlobStore;
  blobDir: string;
  vectors: VectorStore;
  queue: JobQueue;
  ingestion: Ingestion;
  server: RunningServer;
  /**
   * A request as a user with this role, signed as the gateway would; the
   * user is `usr_<role>` unless `userId` names another (a second user).
   */
  as(role: Role, userId?: string): {
    get(path: string): request.Test;
    post(path: string): request.Test;
    put(path: string): request.Test;
    patch(path: string): request.Test;
    delete(path: string): request.Test;
  };
  /** Another process on the same database: its own queue and workers. */
  anotherProcess(options?: { embedders?: EmbedderCatalog; pipeline?: PipelineOptions }): Promise<{
    queue: JobQueue;
    ingestion: Ingestion;
    stop(): Promise<void>;
    /** Like a killed process: no heartbeat, no more writes from its queue, running handlers abandoned. */
    kill(): Promise<void>;
  }>;
  waitForDocument(id: string, done?: (doc: Document) => boolean, timeoutMs?: number): Promise<Document>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  embedders?: EmbedderCatalog;
  pipeline?: PipelineOptions;
  uploads?: IngestionAppDeps['uploads'];
  /** Run no workers in the main process (another process does). */
  worker?: boolean;
  lexer?: Lexer;
}

export async function startHarness({ embedders = createEmbedderCatalog({ defaultSpec: { name: 'hashing-ngram-v1', dimension: 128 } }), pipeline = FAST_PIPELINE, uploads, worker = true, lexer }: HarnessOptions = {}): Promise<Harness> {
  const db = await createPgliteDb();
  await migrate(db, ingestionMigrations);
  const blobDir = await mkdtemp(path.join(os.tmpdir(), 'llmp-ingestion-test-'));
  const blobs = await createFsBlobStore({ root: blobDir });
  const vectors = await createPgvectorStore({ db });
  const queue = aTestQueue(db);
  await queue.start();
  const ingestion = await createIngestion({ db, log: testLog, internalSecret: SECRET, queue, blobs, vectors, embedders, pipeline, uploads, worker, lexer });
  const server = await listen(ingestion.app);
  const others: Array<() => Promise<void>> = [];

  // Requests reach the service through a hop that signs them as the gateway does.
  const forwarder = await startSigningForwarder({ target: server.url, secret: SECRET });
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
    blobs,
    blobDir,
    vectors,
    queue,
    ingestion,
    server,
    as,
    async anotherProcess(options = {}) {
      const otherQueue = aTestQueue(db);
      await otherQueue.start();
      const other = await createIngestion({
        db,
        log: testLog,
        internalSecret: SECRET,
        queue: otherQueue,
        blobs,
        vectors,
        embedders: options.embedders ?? embedders,
        pipeline: options.pipeline ?? pipeline,
      });
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await other.app.locals.close?.();
        await otherQueue.stop({ graceful: false });
      };
      const kill = async () => {
        if (stopped) return;
        stopped = true;
        await other.reconciler.stop();
        await otherQueue.stop({ graceful: false });
      };
      others.push(stop);
      return { queue: otherQueue, ingestion: other, stop, kill };
    },
    async waitForDocument(id, done = (doc) => ['ready', 'failed', 'cancelled'].includes(doc.status), timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Document | undefined;
      while (Date.now() < deadline) {
        last = await ingestion.documents.get(id, SYSTEM);
        if (done(last)) return last;
        await sleep(100);
      }
      throw new Error(`document ${id} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify({ status: last?.status, error: last?.error })}`);
    },
    async close() {
      for (const stop of others) await stop();
      await forwarder.close();
      await server.close(1000);
      await ingestion.app.locals.close?.();
      await queue.stop({ graceful: false });
      await db.close();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}
