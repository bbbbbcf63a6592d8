import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SYSTEM } from '@llmp/contracts';
import { sleep } from '@llmp/core';
import { createEmbedderCatalog, type EmbedderCatalog } from '../embedding/embedder-catalog';
import { FAST_PIPELINE, startHarness, type Harness } from '../testing/ingestion-harness';
import { prose } from '../testing/text-generator';
import { DOCUMENT_QUEUE } from './document-jobs';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The built-in embedder, with `before` run ahead of each batch: to stall, fail or watch the pipeline. */
function embedderWith(before: (signal: AbortSignal | undefined) => Promise<void>): EmbedderCatalog {
  const base = createEmbedderCatalog({ defaultSpec: { name: 'hashing-ngram-v1', dimension: 128 } });
  const real = base.resolve(base.defaultSpec);
  return {
    ...base,
    resolve: () => ({
      name: real.name,
      dimension: real.dimension,
      async embed(texts, options) {
        await before(options?.signal);
        return real.embed(texts, options);
      },
    }),
  };
}

const TEXT = prose({ paragraphs: 20, seed: 11 }).join('\n\n');

async function uploadText(h: Harness, kbId: string, text = TEXT, filename = 'doc.txt'): Promise<string> {
  const res = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).attach('file', Buffer.from(text), { filename }).expect(201);
  return res.body.documents[0].id;
}

async function aKnowledgeBase(h: Harness, body: object = {}): Promise<string> {
  return (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: `kb ${Math.random()}`, ...body }).expect(201)).body.id;
}

async function chunkCount(h: Harness, id: string): Promise<number> {
  const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from ingestion.chunks where document_id = $1', [id]);
  return rows[0].n;
}

describe('document pipeline', () => {
  describe('when a worker is killed mid-document', () => {
    let h: Harness;
    beforeAll(async () => {
      // The API process runs no workers: the workers are "other processes" that can die.
      h = await startHarness({ worker: false });
    });
    afterAll(() => h.close());

    it('resumes on another worker after the heartbeat timeout, and the dead one writes nothing more', async () => {
      const kbId = await aKnowledgeBase(h);
      const stalled = deferred();
      const wake = deferred();
      const dying = await h.anotherProcess({
        embedders: embedderWith(async () => {
          stalled.resolve();
          // Ignores its signal, like a process frozen mid-request.
          await wake.promise;
        }),
      });
      const id = await uploadText(h, kbId);
      await stalled.promise;
      expect((await h.ingestion.documents.get(id, SYSTEM)).status).toBe('embedding');
      await dying.kill();

      const rescuer = await h.anotherProcess();
      const doc = await h.waitForDocument(id);
      expect(doc).toMatchObject({ status: 'ready', attempts: 2, error: null });
      const chunks = await chunkCount(h, id);
      expect(chunks).toBe(doc.counts.chunks);

      // The frozen worker wakes up: it no longer owns the document.
      wake.resolve();
      await sleep(300);
      expect(await h.ingestion.documents.get(id, SYSTEM)).toMatchObject({ status: 'ready', attempts: 2 });
      expect(await chunkCount(h, id)).toBe(chunks);
      await rescuer.stop();
    });

    it('queues a document that was stored but never got a job', async () => {
      const kbId = await aKnowledgeBase(h);
      const id = await uploadText(h, kbId, 'Stored, then the process died before queueing it.');
      const { jobId } = (await h.db.query<{ jobId: string }>('select job_id as "jobId" from ingestion.documents where id = $1', [id])).rows[0];
      await h.queue.cancel(DOCUMENT_QUEUE, jobId);
      await h.db.query(`update ingestion.documents set job_id = null, updated_at = now() - interval '1 hour' where id = $1`, [id]);
      const worker = await h.anotherProcess();
      expect(await h.waitForDocument(id)).toMatchObject({ status: 'ready' });
      await worker.stop();
    });
  });

  it('fails the document with a reason when its last attempt dies', async () => {
    const h = await startHarness({ worker: false, pipeline: { ...FAST_PIPELINE, retryLimit: 0 } });
    try {
      const kbId = await aKnowledgeBase(h);
      const stalled = deferred();
      const dying = await h.anotherProcess({ embedders: embedderWith(() => (stalled.resolve(), new Promise<void>(() => undefined))) });
      const id = await uploadText(h, kbId);
      await stalled.promise;
      await dying.kill();
      const doc = await h.waitForDocument(id);
      expect(doc.status).toBe('failed');
      expect(doc.error).toMatchObject({ code: 'worker_lost', stage: 'embedding', message: expect.stringMatching(/^processing stopped at embedding: the worker stopped responding/) });
      expect(await chunkCount(h, id)).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('fails a document whose parser runs out of time on every attempt as parser_timeout after the allowed attempts, and parses the next one', async () => {
    const h = await startHarness({ pipeline: { ...FAST_PIPELINE, retryLimit: 5, parseTimeoutMs: 100, maxParseAttempts: 2, parseWorkers: 1 } });
    try {
      const kbId = await aKnowledgeBase(h);
      const records = JSON.stringify(Array.from({ length: 300_000 }, (_, i) => ({ id: i, name: `record ${i}` })));
      const id = await uploadText(h, kbId, records, 'records.json');
      const doc = await h.waitForDocument(id, undefined, 90_000);
      expect(doc).toMatchObject({
        status: 'failed',
        attempts: 2,
        error: { code: 'parser_timeout', stage: 'parsing', message: expect.stringMatching(/^parsing took longer than 100 ms and was stopped.*\(gave up after 2 attempts\)$/) },
      });
      const next = await uploadText(h, kbId, 'A short note that parses quickly.', 'note.txt');
      expect(await h.waitForDocument(next, undefined, 60_000)).toMatchObject({ status: 'ready' });
    } finally {
      await h.close();
    }
  }, 300_000);

  describe('with a live worker', () => {
    let h: Harness;
    let server: Server;
    let answer: (n: number) => { status: number; body?: string } = () => ({ status: 200 });
    let requests = 0;
    /** Runs before each batch the built-in embedder embeds. */
    let beforeBatch: (signal: AbortSignal | undefined) => Promise<void> = async () => undefined;

    beforeAll(async () => {
      server = createServer((req, res) => {
        let raw = '';
        req.on('data', (c) => (raw += c));
        req.on('end', () => {
          const { status, body } = answer(++requests);
          if (status !== 200) return res.writeHead(status, { 'content-type': 'application/json' }).end(body);
          const { input } = JSON.parse(raw) as { input: string[] };
          const data = input.map((text, index) => ({ index, embedding: Array.from({ length: 8 }, (_, d) => ((text.length * (d + 1)) % 17) + 1) }));
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const catalog = createEmbedderCatalog({
        defaultSpec: { name: 'hashing-ngram-v1', dimension: 128 },
        openAi: { baseUrl, model: 'test-model', dimension: 8, maxRetries: 0 },
      });
      const hashing = catalog.resolve(catalog.defaultSpec);
      h = await startHarness({
        embedders: {
          ...catalog,
          resolve: (spec) =>
            spec.name === hashing.name
              ? {
                  name: hashing.name,
                  dimension: hashing.dimension,
                  async embed(texts, options) {
                    await beforeBatch(options?.signal);
                    return hashing.embed(texts, options);
                  },
                }
              : catalog.resolve(spec),
        },
      });
    });
    afterEach(() => {
      beforeBatch = async () => undefined;
    });
    afterAll(async () => {
      await h.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('compacts vector segments beside the next documents, once more for all that were indexed meanwhile', async () => {
      const kbId = await aKnowledgeBase(h);
      const compact = h.vectors.compact!.bind(h.vectors);
      const gate = deferred();
      const started = deferred();
      let calls = 0;
      h.vectors.compact = async (collection) => {
        calls++;
        started.resolve();
        await gate.promise;
        return compact(collection);
      };
      try {
        const first = await uploadText(h, kbId, TEXT, 'first.txt');
        await h.waitForDocument(first);
        await started.promise;
        // The compaction waits; the job that indexed the document is over all the same.
        const jobState = async (id: string) =>
          (await h.db.query<{ state: string }>("select state from queue.job where data->>'documentId' = $1", [id])).rows.map((r) => r.state);
        for (let i = 0; i < 50 && (await jobState(first))[0] !== 'completed'; i++) await sleep(20);
        expect(await jobState(first)).toEqual(['completed']);
        const later = [];
        for (const name of ['second.txt', 'third.txt', 'fourth.txt']) later.push(await uploadText(h, kbId, `${name} ${TEXT}`, name));
        for (const id of later) expect((await h.waitForDocument(id)).status).toBe('ready');
        expect(calls).toBe(1);
        gate.resolve();
        for (let i = 0; i < 100 && calls < 2; i++) await sleep(20);
        await sleep(200);
        expect(calls).toBe(2);
      } finally {
        gate.resolve();
        h.vectors.compact = compact;
      }
    });

    it('cancel aborts the running work at once, keeps the document cancelled, and reindex starts it again', async () => {
      const running = deferred();
      const aborted = deferred<unknown>();
      beforeBatch = async (signal) => {
        running.resolve();
        await new Promise<void>((_, reject) =>
          signal!.addEventListener('abort', () => {
            aborted.resolve(signal!.reason);
            reject(signal!.reason);
          }),
        );
      };
      const kbId = await aKnowledgeBase(h);
      const id = await uploadText(h, kbId);
      await running.promise;
      const res = await h.as('user').post(`/api/ingestion/documents/${id}/cancel`).expect(200);
      expect(res.body).toMatchObject({ status: 'cancelled', error: { code: 'cancelled', message: 'cancelled by user', stage: 'embedding' } });
      expect(await aborted.promise).toMatchObject({ reason: 'cancelled' });
      await sleep(300);
      expect(await h.ingestion.documents.get(id, SYSTEM)).toMatchObject({ status: 'cancelled' });
      expect(await chunkCount(h, id)).toBe(0);

      beforeBatch = async () => undefined;
      await h.as('manager').post(`/api/ingestion/knowledge-bases/${kbId}/reindex`).send({}).expect(202, { queued: [id], skipped: [] });
      expect(await h.waitForDocument(id)).toMatchObject({ status: 'ready', error: null });
    });

    it('deletes a document while it is being processed, leaving nothing behind', async () => {
      const running = deferred();
      beforeBatch = async (signal) => {
        running.resolve();
        await sleep(200);
        signal?.throwIfAborted();
      };
      const kbId = await aKnowledgeBase(h);
      const id = await uploadText(h, kbId);
      await running.promise;
      await h.as('manager').delete(`/api/ingestion/documents/${id}`).expect(204);
      await sleep(500);
      expect(await chunkCount(h, id)).toBe(0);
      const kb = await h.ingestion.knowledgeBases.get(kbId, SYSTEM);
      expect(await h.vectors.count(kb.vectorCollection)).toBe(0);
      await h.as('user').get(`/api/ingestion/documents/${id}`).expect(404);
    });

    it('retries a document after a transient embedding failure, with backoff, until it is ready', async () => {
      requests = 0;
      answer = (n) => (n === 1 ? { status: 503, body: '{"error":{"message":"model is loading"}}' } : { status: 200 });
      const kbId = await aKnowledgeBase(h, { embedder: { name: 'openai:test-model', dimension: 8 } });
      const id = await uploadText(h, kbId, 'Short text for a flaky server.');
      const doc = await h.waitForDocument(id);
      expect(doc).toMatchObject({ status: 'ready', attempts: 2, error: null });
    });

    it('fails at once, without retrying, when the embedding server rejects the input', async () => {
      requests = 0;
      answer = () => ({ status: 400, body: '{"error":{"message":"input is too long for this model"}}' });
      const kbId = await aKnowledgeBase(h, { embedder: { name: 'openai:test-model', dimension: 8 } });
      const id = await uploadText(h, kbId, 'Text the server refuses.');
      const doc = await h.waitForDocument(id);
      expect(doc).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: 'embedding_failed', stage: 'embedding', message: expect.stringMatching(/answered 400: input is too long for this model$/) },
      });
      expect(requests).toBe(1);
    });
  });
});
