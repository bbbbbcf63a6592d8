import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createLogger, sleep } from '@llmp/core';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { aGgufEmbeddingModel } from '@llmp/ingestion/testing';
import { startPlatform, type Platform } from './platform';

const log = createLogger({ name: 'test', level: 'silent' });

const prebuilt = `@node-llama-cpp/${process.platform}-${process.arch}`;
// The package exports no package.json, so look for its binaries along Node's search paths.
const hasLlamaCpp = (require.resolve.paths(prebuilt) ?? []).some((p) => existsSync(join(p, prebuilt, 'bins')));
const describeWithLlamaCpp = hasLlamaCpp ? describe : describe.skip;
const skipReason = hasLlamaCpp ? '' : ` (skipped: node-llama-cpp's prebuilt binary ${prebuilt} is not installed)`;

const manual = [
  '# Pump maintenance',
  '',
  'Replace the impeller seals of the cooling pump every 2000 operating hours.',
  '',
  '## Lubrication',
  '',
  'Grease the bearings of the cooling pump monthly with lithium soap grease.',
].join('\n');

describeWithLlamaCpp(`a knowledge base with a local GGUF embedder in the embedded platform${skipReason}`, () => {
  let platform: Platform;
  let dir: string;
  let auth: { authorization: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmp-gguf-platform-'));
    const modelPath = join(dir, 'tiny-embed.gguf');
    await writeFile(modelPath, aGgufEmbeddingModel({ dimension: 32 }));
    platform = await startPlatform({ log, port: 0, passwordCost: TEST_PASSWORD_COST, demoData: false, ggufEmbedder: { modelPath, threads: 1 } });
    const login = await request(platform.url).post('/api/auth/login').send({ username: 'admin', password: platform.firstAdmin!.password }).expect(200);
    auth = { authorization: `Bearer ${login.body.token}` };
    // Starting every service on PGlite takes minutes when the machine is busy.
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('offers the model, indexes an upload with it and finds the document by vector and hybrid search', async () => {
    const choices = (await request(platform.url).get('/api/ingestion/embedders').set(auth).expect(200)).body.data;
    expect(choices).toContainEqual(expect.objectContaining({ name: 'gguf:tiny-embed', dimensions: [32] }));

    const kb = (
      await request(platform.url)
        .post('/api/ingestion/knowledge-bases')
        .set(auth)
        .send({ name: 'Local model', embedder: { name: 'gguf:tiny-embed', dimension: 32 } })
        .expect(201)
    ).body;
    const upload = await request(platform.url).post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).set(auth).attach('file', Buffer.from(manual), { filename: 'pumps.md' });
    expect(upload.status).toBe(201);
    const id = upload.body.documents[0].id;
    let doc: { status: string; error?: unknown } = { status: 'queued' };
    for (let i = 0; i < 300 && !['ready', 'failed', 'cancelled'].includes(doc.status); i++) {
      await sleep(100);
      doc = (await request(platform.url).get(`/api/ingestion/documents/${id}`).set(auth).expect(200)).body;
    }
    expect(doc).toMatchObject({ status: 'ready' });

    const chunks = (await request(platform.url).get(`/api/ingestion/documents/${id}/chunks`).set(auth).expect(200)).body.data;
    expect(chunks.length).toBeGreaterThan(0);
    // The model's vectors mean nothing, but a chunk's own text embeds to that chunk's vector.
    const vector = await request(platform.url).post('/api/ingestion/search').set(auth).send({ query: chunks[0].text, knowledgeBaseIds: [kb.id], mode: 'vector' }).expect(200);
    expect(vector.body.results[0]).toMatchObject({ chunkId: chunks[0].id, citation: { documentId: id, filename: 'pumps.md' } });
    expect(vector.body.results[0].scores.vector).toBeCloseTo(1, 4);

    const hybrid = await request(platform.url).post('/api/ingestion/search').set(auth).send({ query: 'how often are impeller seals replaced', knowledgeBaseIds: [kb.id] }).expect(200);
    expect(hybrid.body.results[0].citation).toMatchObject({ documentId: id, filename: 'pumps.md' });
    expect(hybrid.body.results[0].text).toMatch(/2000 operating hours/);
  });

  it('refuses a knowledge base that asks the model for another dimension, saying which', async () => {
    const res = await request(platform.url)
      .post('/api/ingestion/knowledge-bases')
      .set(auth)
      .send({ name: 'Wrong size', embedder: { name: 'gguf:tiny-embed', dimension: 384 } })
      .expect(400);
    expect(JSON.stringify(res.body.error)).toContain('gguf:tiny-embed produces 32-dimensional vectors, not 384');
  });
});
