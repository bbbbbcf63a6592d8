import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { requestTarget, signIdentity } from '@llmp/auth';
import type { Logger } from '@llmp/core';
import { createPgliteDb, migrate } from '@llmp/db';
import { listen } from '@llmp/http';
import { createJobQueue } from '@llmp/queue';
import { createFsBlobStore } from '../../../../libs/ingestion/src/blob-store/fs-blob-store';
import type { EmbedderCatalog } from '../../../../libs/ingestion/src/embedding/embedder-catalog';
import { createIngestion } from '../../../../libs/ingestion/src/ingestion.app';
import { ingestionMigrations } from '../../../../libs/ingestion/src/migrations';
import { createPgvectorStore } from '../../../../libs/ingestion/src/vector-store/pgvector-store';

const BENCH_ADMIN = { userId: 'usr_bench', username: 'bench', role: 'admin', via: 'token' } as const;

/**
 * The ingestion service alone over embedded PGlite, as the benchmarks drive
 * it: through HTTP, each request signed the way the gateway signs it.
 */
export async function startBenchIngestion({ log, embedders, name }: { log: Logger; embedders: EmbedderCatalog; name: string }) {
  const db = await createPgliteDb();
  await migrate(db, ingestionMigrations);
  const blobDir = await mkdtemp(path.join(os.tmpdir(), `llmp-bench-${name}-`));
  const queue = createJobQueue({ db, log, pollingIntervalSeconds: 0.5 });
  await queue.start();
  const secret = 'b'.repeat(32);
  const ingestion = await createIngestion({
    db,
    log,
    internalSecret: secret,
    queue,
    blobs: await createFsBlobStore({ root: blobDir }),
    vectors: await createPgvectorStore({ db }),
    embedders,
    pipeline: { concurrency: 2 },
  });
  const server = await listen(ingestion.app);

  /** Sends a JSON or multipart body; the identity is bound to its length and type, so the body is encoded first. */
  async function send(method: 'GET' | 'POST', url: string, body?: FormData | unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    let payload: Buffer | undefined;
    if (body instanceof FormData) {
      const encoded = new Response(body);
      payload = Buffer.from(await encoded.arrayBuffer());
      headers['content-type'] = encoded.headers.get('content-type') ?? '';
    } else if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
    }
    // fetch sets content-length itself from the body; the signature must cover the same value.
    const signed = { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) };
    const identity = signIdentity(BENCH_ADMIN, requestTarget({ method, originalUrl: url, headers: signed }), secret);
    return fetch(`${server.url}${url}`, { method, body: payload, headers: { ...headers, 'x-llmp-identity': identity } });
  }

  return {
    db,
    queue,
    ingestion,
    send,
    async close() {
      await server.close(1000);
      await ingestion.app.locals.close?.();
      await queue.stop({ graceful: false });
      await db.close();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}
