/**
 * The document-ingestion service in a process of its own for the agents
 * benchmark's multi-process layout, loaded with the demo knowledge base. With
 * LLMP_DATABASE_URL (a Postgres with pgvector, as staging's) it runs on that
 * database; without it, over embedded PGlite (pgvector included, on a thread
 * of its own as the platform does). Reads LLMP_PORT and LLMP_INTERNAL_SECRET;
 * prints one JSON line `{ url, knowledgeBaseId }` once every demo document is
 * searchable, then serves until SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger, sleep } from '@llmp/core';
import { SYSTEM } from '@llmp/contracts';
import { createPgDb, createPgliteDb, migrate } from '@llmp/db';
import { listen } from '@llmp/http';
import { createEmbedderCatalog, createFsBlobStore, createIngestion, createPgvectorStore, ingestionMigrations, loadDemoData } from '@llmp/ingestion';
import { createJobQueue } from '@llmp/queue';

async function main() {
  const log = createLogger({ name: 'document-ingestion', level: 'warn' });
  const databaseUrl = process.env['LLMP_DATABASE_URL'];
  const db = databaseUrl ? createPgDb({ connectionString: databaseUrl, poolSize: 10 }) : await createPgliteDb({ thread: true });
  await migrate(db, ingestionMigrations);
  const queue = createJobQueue({ db, log, pollingIntervalSeconds: 0.5 });
  await queue.start();
  const blobDir = await mkdtemp(path.join(os.tmpdir(), 'llmp-bench-agents-blobs-'));
  const ingestion = await createIngestion({
    db,
    log,
    internalSecret: process.env['LLMP_INTERNAL_SECRET']!,
    queue,
    blobs: await createFsBlobStore({ root: blobDir }),
    vectors: await createPgvectorStore({ db }),
    embedders: createEmbedderCatalog(),
  });
  const server = await listen(ingestion.app, { host: '127.0.0.1', port: Number(process.env['LLMP_PORT'] ?? 0) });
  const { knowledgeBase } = await loadDemoData({ knowledgeBases: ingestion.knowledgeBases, documents: ingestion.documents, log });
  for (const deadline = Date.now() + 120_000; ; await sleep(250)) {
    const { documents } = await ingestion.knowledgeBases.get(knowledgeBase.id, SYSTEM);
    if (documents.total > 0 && documents.ready === documents.total) break;
    if (Date.now() > deadline) throw new Error(`the demo documents were not ready within 120 s (${documents.ready} of ${documents.total})`);
  }
  process.stdout.write(`${JSON.stringify({ url: server.url, knowledgeBaseId: knowledgeBase.id })}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await server.close(1000);
      await ingestion.app.locals.close?.();
      await queue.stop({ graceful: false });
      await db.close();
      await rm(blobDir, { recursive: true, force: true });
      process.exit(0);
    })();
  });
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
