import request from 'supertest';
import { createLogger, sleep } from '@llmp/core';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { demoDocuments } from '@llmp/ingestion';
import { aPdf, prose } from '@llmp/ingestion/testing';
import { startPlatform, type Platform } from './platform';

const log = createLogger({ name: 'test', level: 'silent' });
const MB = 1024 * 1024;

describe('document ingestion in the embedded platform', () => {
  let platform: Platform;
  let auth: { authorization: string };

  async function ready(id: string) {
    for (let i = 0; i < 200; i++) {
      const doc = (await request(platform.url).get(`/api/ingestion/documents/${id}`).set(auth).expect(200)).body;
      if (['ready', 'failed', 'cancelled'].includes(doc.status)) return doc;
      await sleep(100);
    }
    throw new Error(`document ${id} did not finish`);
  }

  beforeAll(async () => {
    platform = await startPlatform({
      log,
      port: 0,
      passwordCost: TEST_PASSWORD_COST,
      demoData: true,
      ingestionUploads: { maxFileBytes: 1 * MB, maxFiles: 2 },
    });
    const login = await request(platform.url).post('/api/auth/login').send({ username: 'admin', password: platform.firstAdmin!.password }).expect(200);
    auth = { authorization: `Bearer ${login.body.token}` };
  });
  afterAll(() => platform.stop());

  it('loads the demo knowledge base on the first run and answers from it with a citation', async () => {
    const kbs = (await request(platform.url).get('/api/ingestion/knowledge-bases').set(auth).expect(200)).body.data;
    const demo = kbs.find((kb: { name: string }) => kb.name === 'Demo');
    expect(demo.documents.total).toBe(demoDocuments.length);
    const docs = (await request(platform.url).get(`/api/ingestion/knowledge-bases/${demo.id}/documents`).set(auth).expect(200)).body.data;
    for (const doc of docs) expect(await ready(doc.id)).toMatchObject({ status: 'ready' });
    const res = await request(platform.url).post('/api/ingestion/search').set(auth).send({ query: 'How are passwords stored?', knowledgeBaseIds: [demo.id] }).expect(200);
    expect(res.body.results[0].citation).toMatchObject({ filename: 'security-faq.html', title: 'Security FAQ', heading: 'How are passwords stored?' });
    expect(res.body.results[0].text).toMatch(/scrypt/);
    // Loading it again (what the staging seed does) changes nothing.
    const again = await request(platform.url).post('/api/ingestion/demo').set(auth).expect(200);
    expect(again.body).toMatchObject({ created: false, knowledgeBase: { id: demo.id, documents: { total: demoDocuments.length } } });
  });

  it('shows the demo knowledge base to every user, who may search it but not change it', async () => {
    await request(platform.url).post('/api/users').set(auth).send({ username: 'reader', password: 'reader-password' }).expect(201);
    const login = await request(platform.url).post('/api/auth/login').send({ username: 'reader', password: 'reader-password' }).expect(200);
    const reader = { authorization: `Bearer ${login.body.token}` };
    const demo = (await request(platform.url).get('/api/ingestion/knowledge-bases').set(reader).expect(200)).body.data.find((kb: { name: string }) => kb.name === 'Demo');
    expect(demo).toMatchObject({ ownerId: null, visibility: 'organisation' });
    await request(platform.url).post('/api/ingestion/search').set(reader).send({ query: 'passwords', knowledgeBaseIds: [demo.id] }).expect(200);
    await request(platform.url).post(`/api/ingestion/knowledge-bases/${demo.id}/documents`).set(reader).attach('file', Buffer.from('mine'), { filename: 'm.txt' }).expect(403);
  });

  it('streams uploads through the gateway and indexes them', async () => {
    const kb = (await request(platform.url).post('/api/ingestion/knowledge-bases').set(auth).send({ name: 'Gateway uploads' }).expect(201)).body;
    const res = await request(platform.url)
      .post(`/api/ingestion/knowledge-bases/${kb.id}/documents`)
      .set(auth)
      .attach('file', aPdf({ pages: [['The warehouse opens at six.'], ['Forklift licences are renewed every three years.']] }), { filename: 'warehouse.pdf' })
      .expect(201);
    const doc = await ready(res.body.documents[0].id);
    expect(doc).toMatchObject({ status: 'ready', type: 'pdf', counts: { pages: 2 } });
    const hits = (await request(platform.url).post('/api/ingestion/search').set(auth).send({ query: 'forklift licence renewal', knowledgeBaseIds: [kb.id] }).expect(200)).body.results;
    expect(hits[0].citation).toMatchObject({ documentId: doc.id, page: 2 });
  });

  it('answers an oversized upload with 413 through the gateway, never 5xx', async () => {
    const kb = (await request(platform.url).post('/api/ingestion/knowledge-bases').set(auth).send({ name: 'Limits' }).expect(201)).body;
    const one = await request(platform.url)
      .post(`/api/ingestion/knowledge-bases/${kb.id}/documents`)
      .set(auth)
      .attach('file', Buffer.alloc(2 * MB, 'a'), { filename: 'big.txt' });
    expect(one.status).toBe(413);
    expect(one.body.error.code).toBe('file_too_large');
    // Larger than two 1 MB files could be: refused from its Content-Length before the body is read.
    const whole = await request(platform.url)
      .post(`/api/ingestion/knowledge-bases/${kb.id}/documents`)
      .set(auth)
      .attach('file', Buffer.alloc(4 * MB, 'b'), { filename: 'bigger.txt' });
    expect(whole.status).toBe(413);
    expect(whole.body.error.code).toBe('request_too_large');
    await request(platform.url).get('/healthz').expect(200);
  });
});

describe.each(['english', 'standby', 'database'] as const)('lexemes of large documents with ingestionLexer %s', (ingestionLexer) => {
  it('indexes them for full-text search, starting the second engine only when asked to', async () => {
    const lines: string[] = [];
    const captured = createLogger({ name: 'test', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const platform = await startPlatform({ log: captured, port: 0, passwordCost: TEST_PASSWORD_COST, demoData: false, ingestionLexer });
    try {
      const login = await request(platform.url).post('/api/auth/login').send({ username: 'admin', password: platform.firstAdmin!.password }).expect(200);
      const auth = { authorization: `Bearer ${login.body.token}` };
      const kb = (await request(platform.url).post('/api/ingestion/knowledge-bases').set(auth).send({ name: 'Large' }).expect(201)).body;
      const started = () => lines.some((line) => line.includes('lexer engine started'));
      const ingest = async (name: string, seed: number, marker: string) => {
        const text = `${prose({ paragraphs: 700, seed }).join('\n\n')}\n\nThe ${marker} procedure ends here.`;
        expect(text.length).toBeGreaterThan(262_144);
        const res = await request(platform.url).post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).set(auth).attach('file', Buffer.from(text), { filename: name }).expect(201);
        const id = res.body.documents[0].id as string;
        for (let i = 0; i < 300; i++) {
          const doc = (await request(platform.url).get(`/api/ingestion/documents/${id}`).set(auth).expect(200)).body;
          if (doc.status === 'ready') break;
          expect(['failed', 'cancelled']).not.toContain(doc.status);
          await sleep(100);
        }
        const hits = (await request(platform.url).post('/api/ingestion/search').set(auth).send({ query: marker, knowledgeBaseIds: [kb.id], mode: 'fulltext' }).expect(200)).body.results;
        expect(hits[0].citation.documentId).toBe(id);
      };
      await ingest('first.txt', 1, 'zanzibarish');
      // The first large document starts the engine; the next one is lexed by it once it runs.
      for (let i = 0; i < 150 && ingestionLexer === 'standby' && !started(); i++) await sleep(100);
      await ingest('second.txt', 2, 'quokkaful');
      expect(started()).toBe(ingestionLexer === 'standby');
    } finally {
      await platform.stop();
    }
  });
});
