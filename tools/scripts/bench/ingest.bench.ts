/**
 * Document ingestion benchmarks (npm run bench:ingest):
 *   1. plain-text ingestion end to end (multipart upload → stored → parsed → chunked → embedded → indexed), MB/s;
 *   2. our chunker against @langchain/textsplitters' RecursiveCharacterTextSplitter on the same text;
 *   3. retrieval on N chunks of 384 dimensions (clustered, like real embeddings) in PGlite pgvector HNSW:
 *      recall@10 against an exact scan, and p50/p99 query latency.
 * Sizes: BENCH_INGEST_MB (8), BENCH_CHUNK_MB (4), BENCH_VECTORS (100000), BENCH_QUERIES (200), BENCH_RECALL_QUERIES (50);
 * BENCH_ONLY=ingest|chunkers|retrieval runs one part.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { requestTarget, signIdentity } from '@llmp/auth';
import { SYSTEM } from '@llmp/contracts';
import { createLogger, sleep } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { listen } from '@llmp/http';
import { createJobQueue } from '@llmp/queue';
import { chunkDocument } from '../../../libs/ingestion/src/chunking/chunker';
import { countTokens } from '../../../libs/ingestion/src/chunking/tokens';
import { createFsBlobStore } from '../../../libs/ingestion/src/blob-store/fs-blob-store';
import { createEmbedderCatalog } from '../../../libs/ingestion/src/embedding/embedder-catalog';
import { createIngestion } from '../../../libs/ingestion/src/ingestion.app';
import { ingestionMigrations } from '../../../libs/ingestion/src/migrations';
import { parseText } from '../../../libs/ingestion/src/parsing/text.parser';
import { prose } from '../../../libs/ingestion/src/testing/text-generator';
import { createPgvectorStore } from '../../../libs/ingestion/src/vector-store/pgvector-store';
import { clusteredVectors } from '../../../libs/ingestion/src/vector-store/vector-store.contract';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const INGEST_MB = env('BENCH_INGEST_MB', 8);
const CHUNK_MB = env('BENCH_CHUNK_MB', 4);
const VECTORS = env('BENCH_VECTORS', 100_000);
const QUERIES = env('BENCH_QUERIES', 200);
const RECALL_QUERIES = env('BENCH_RECALL_QUERIES', 50);
const ONLY = process.env['BENCH_ONLY'];
const DIMENSION = 384;
/** HNSW candidate lists compared: pgvector's default (40) and the store's (100), and a cheap one. */
const EF_SEARCH = [10, 40, 100];
const MB = 1024 * 1024;

const log = createLogger({ name: 'bench', level: 'silent' });
const progress = (message: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function textOf(bytes: number, seed: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let s = seed; size < bytes; s++) {
    const paragraphs = prose({ paragraphs: 50, seed: s }).join('\n\n');
    parts.push(paragraphs);
    size += paragraphs.length + 2;
  }
  return parts.join('\n\n').slice(0, bytes);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function ingestionThroughput() {
  progress(`ingestion: ${INGEST_MB} MB of plain text in ${INGEST_MB} files, through HTTP, until every document is ready`);
  const db = await createPgliteDb();
  await migrate(db, ingestionMigrations);
  const blobDir = await mkdtemp(path.join(os.tmpdir(), 'llmp-bench-'));
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
    embedders: createEmbedderCatalog({ defaultSpec: { name: 'hashing-ngram-v1', dimension: DIMENSION } }),
    pipeline: { concurrency: 2 },
  });
  const server = await listen(ingestion.app);
  try {
    const kb = await ingestion.knowledgeBases.create({ name: 'bench', description: '', visibility: 'private' }, SYSTEM);
    const files = Array.from({ length: INGEST_MB }, (_, i) => Buffer.from(textOf(MB, 1000 + i * 100)));
    const url = `/api/ingestion/knowledge-bases/${kb.id}/documents`;
    const started = performance.now();
    const ids: string[] = [];
    for (const [i, file] of files.entries()) {
      const form = new FormData();
      form.append('file', new Blob([file], { type: 'text/plain' }), `bench-${i}.txt`);
      // The identity is bound to the body's length and type, so encode the form first.
      const encoded = new Response(form);
      const body = Buffer.from(await encoded.arrayBuffer());
      const headers = { 'content-type': encoded.headers.get('content-type') ?? '', 'content-length': String(body.length) };
      const identity = signIdentity({ userId: 'usr_bench', username: 'bench', role: 'admin', via: 'token' }, requestTarget({ method: 'POST', originalUrl: url, headers }), secret);
      // fetch sets content-length itself from the body (and refuses one given by hand).
      const res = await fetch(`${server.url}${url}`, { method: 'POST', body, headers: { 'content-type': headers['content-type'], 'x-llmp-identity': identity } });
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      ids.push(((await res.json()) as { documents: Array<{ id: string }> }).documents[0].id);
    }
    const uploaded = performance.now();
    let chunks = 0;
    let tokens = 0;
    const stageMs = { parsing: 0, chunking: 0, embedding: 0, indexing: 0 };
    for (const id of ids) {
      for (;;) {
        const doc = await ingestion.documents.get(id, SYSTEM);
        if (doc.status === 'ready') {
          chunks += doc.counts.chunks ?? 0;
          tokens += doc.counts.tokens ?? 0;
          for (const stage of Object.keys(stageMs) as Array<keyof typeof stageMs>) stageMs[stage] += doc.stages[stage]?.ms ?? 0;
          break;
        }
        if (doc.status === 'failed' || doc.status === 'cancelled') throw new Error(`document ${id} ${doc.status}: ${doc.error?.message}`);
        await sleep(50);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const bytes = files.reduce((n, f) => n + f.length, 0);
    return {
      'input MB': round(bytes / MB),
      documents: files.length,
      chunks,
      tokens,
      'upload s': round((uploaded - started) / 1000),
      'total s': round(seconds),
      'MB/s end to end': round(bytes / MB / seconds),
      'stage s (parse/chunk/embed/index, summed over workers)': Object.values(stageMs)
        .map((ms) => round(ms / 1000, 1))
        .join(' / '),
    };
  } finally {
    await server.close(1000);
    await ingestion.app.locals.close?.();
    await queue.stop({ graceful: false });
    await db.close();
    await rm(blobDir, { recursive: true, force: true });
  }
}

async function chunkerComparison() {
  progress(`chunkers: ${CHUNK_MB} MB of the same text, 512-token chunks with 64 tokens of overlap`);
  const text = textOf(CHUNK_MB * MB, 7);
  const bytes = Buffer.byteLength(text);
  const time = async (work: () => unknown | Promise<unknown>) => {
    const start = performance.now();
    const result = await work();
    return { seconds: (performance.now() - start) / 1000, result };
  };
  // Warm-up on a slice, so JIT and tokenizer caches are comparable.
  chunkDocument(parseText(Buffer.from(text.slice(0, 200_000))), { mode: 'recursive', maxTokens: 512, overlapTokens: 64 });
  const ours = await time(() => chunkDocument(parseText(Buffer.from(text)), { mode: 'recursive', maxTokens: 512, overlapTokens: 64 }));
  const ourChunks = ours.result as ReturnType<typeof chunkDocument>;
  // LangChain's default measures characters: ~4 characters per token is its usual stand-in for 512 tokens.
  const byChars = new RecursiveCharacterTextSplitter({ chunkSize: 2048, chunkOverlap: 256 });
  await byChars.splitText(text.slice(0, 200_000));
  const chars = await time(() => byChars.splitText(text));
  const byTokens = new RecursiveCharacterTextSplitter({ chunkSize: 512, chunkOverlap: 64, lengthFunction: (t: string) => countTokens(t) });
  const tokensPeer = await time(() => byTokens.splitText(text));
  const overBudget = (chunks: string[]) => chunks.filter((c) => countTokens(c) > 512).length;
  const row = (name: string, seconds: number, chunks: string[]) => ({
    splitter: name,
    'MB/s': round(bytes / MB / seconds),
    chunks: chunks.length,
    'mean tokens': Math.round(chunks.reduce((n, c) => n + countTokens(c), 0) / chunks.length),
    'over 512 tokens': overBudget(chunks),
  });
  return [
    row('llmp chunkDocument (structure → sentences, token budget)', ours.seconds, ourChunks.map((c) => c.text)),
    row('langchain RecursiveCharacterTextSplitter (2048 chars)', chars.seconds, chars.result as string[]),
    row('langchain RecursiveCharacterTextSplitter (512 tokens)', tokensPeer.seconds, tokensPeer.result as string[]),
  ];
}

async function retrieval() {
  progress(`retrieval: ${VECTORS} vectors × ${DIMENSION} in PGlite pgvector (HNSW m=16, ef_construction=64)`);
  const db: Db = await createPgliteDb();
  try {
    const store = await createPgvectorStore({ db });
    const collection = 'bench';
    await store.ensureCollection(collection, { dimension: DIMENSION });
    // Loading first and indexing after is how a bulk import is done; the build is timed on its own.
    await db.exec('drop index ingestion.vectors_bench_hnsw_idx');
    const vectors = clusteredVectors({ count: VECTORS, dimension: DIMENSION, clusters: Math.max(10, Math.round(VECTORS / 200)), spread: 0.8, seed: 3 });
    const insertStart = performance.now();
    const batch = 1000;
    for (let i = 0; i < VECTORS; i += batch) {
      await store.upsert(
        collection,
        vectors.slice(i, i + batch).map((vector, j) => ({ id: `chk_${i + j}`, documentId: `doc_${Math.floor((i + j) / 50)}`, vector })),
      );
      if ((i / batch) % 10 === 0) progress(`  inserted ${i + batch} / ${VECTORS}`);
    }
    const insertSeconds = (performance.now() - insertStart) / 1000;
    progress(`  building the HNSW index (minutes for 100k)…`);
    const buildStart = performance.now();
    await db.exec(`set maintenance_work_mem = '512MB'`);
    await db.exec('create index vectors_bench_hnsw_idx on ingestion.vectors_bench using hnsw (embedding vector_cosine_ops) with (m = 16, ef_construction = 64)');
    const buildSeconds = (performance.now() - buildStart) / 1000;

    // Queries near the data, as questions are near their answers: a stored vector plus noise.
    let state = 99;
    const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
    const queries = Array.from({ length: QUERIES }, () => {
      const base = vectors[Math.floor(random() * VECTORS)];
      const noisy = base.map((x) => x + (random() - 0.5) * 0.05);
      const norm = Math.sqrt(noisy.reduce((s, x) => s + x * x, 0));
      return noisy.map((x) => x / norm);
    });
    progress(`  exact scans for recall (${RECALL_QUERIES} queries)…`);
    const exact: Array<Set<string>> = [];
    const exactLatencies: number[] = [];
    for (let i = 0; i < RECALL_QUERIES; i++) {
      const start = performance.now();
      exact.push(new Set((await store.search(collection, queries[i], { topK: 10, exact: true })).map((m) => m.id)));
      exactLatencies.push(performance.now() - start);
    }
    exactLatencies.sort((a, b) => a - b);
    const rows = [];
    for (const efSearch of EF_SEARCH) {
      progress(`  ${QUERIES} HNSW queries with ef_search ${efSearch}…`);
      const tuned = await createPgvectorStore({ db, efSearch });
      for (const q of queries.slice(0, 10)) await tuned.search(collection, q, { topK: 10 });
      const latencies: number[] = [];
      let found = 0;
      for (const [i, q] of queries.entries()) {
        const start = performance.now();
        const ids = (await tuned.search(collection, q, { topK: 10 })).map((m) => m.id);
        latencies.push(performance.now() - start);
        if (i < RECALL_QUERIES) found += ids.filter((id) => exact[i].has(id)).length;
      }
      latencies.sort((a, b) => a - b);
      rows.push({
        vectors: VECTORS,
        dimension: DIMENSION,
        ef_search: efSearch,
        'recall@10': round(found / (RECALL_QUERIES * 10), 3),
        'p50 ms': round(percentile(latencies, 50)),
        'p99 ms': round(percentile(latencies, 99)),
      });
    }
    return {
      rows,
      build: { 'insert s': round(insertSeconds, 1), 'HNSW build s': round(buildSeconds, 1), 'exact scan p50 ms': round(percentile(exactLatencies, 50)) },
    };
  } finally {
    await db.close();
  }
}

async function main() {
  if (!ONLY || ONLY === 'ingest') {
    const ingest = await ingestionThroughput();
    console.log('\nPlain-text ingestion, end to end (embedded PGlite, built-in 384-d embedder, 2 workers)');
    console.table([ingest]);
  }
  if (!ONLY || ONLY === 'chunkers') {
    const chunkers = await chunkerComparison();
    console.log('\nChunkers on the same text');
    console.table(chunkers);
    console.log(
      `llmp / langchain (characters): ${round(chunkers[0]['MB/s'] / chunkers[1]['MB/s'])}× the throughput; ` +
        `llmp / langchain (tokens): ${round(chunkers[0]['MB/s'] / chunkers[2]['MB/s'])}×`,
    );
  }
  if (!ONLY || ONLY === 'retrieval') {
    const search = await retrieval();
    console.log('\nRetrieval, PGlite pgvector HNSW (cosine, m=16, ef_construction=64), clustered vectors; recall@10 against an exact scan');
    console.table(search.rows);
    console.table([search.build]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
