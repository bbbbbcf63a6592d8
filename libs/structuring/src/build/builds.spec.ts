import { extractiveQa, sentencesOf } from './extractive-qa';
import { newId } from '@llmp/core';
import { createPgStructuringStores } from '../datasets/stores';
import { startStructuringHarness, type StructuringHarness } from '../testing/structuring-harness';

const boilerChunks = (doc: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `chk_${doc}_${String(i).padStart(3, '0')}`,
    headingPath: ['Boiler manual', `Step ${i}`],
    text: `The pressure gauge ${i} is the dial that shows boiler pressure in bar. Check gauge ${i} before every start. A reading above ${i + 2} bar means the relief valve must be opened.`,
  }));

describe('extractive question/answer generation', () => {
  it('asks the heading when it is a question, and answers from the chunk', () => {
    const records = extractiveQa({ documentTitle: 'Security FAQ', headingPath: ['Security FAQ', 'How are passwords stored?'], text: 'Passwords are hashed with scrypt and never logged. Sessions expire after twelve hours by default.' });
    expect(records[0].messages).toEqual([
      { role: 'user', content: 'How are passwords stored?' },
      { role: 'assistant', content: 'Passwords are hashed with scrypt and never logged. Sessions expire after twelve hours by default.' },
    ]);
    expect(records.length).toBeGreaterThan(1);
    for (const record of records) expect(record.messages[1].content.length).toBeGreaterThan(0);
  });

  it('turns definitions into "what is" questions answered by the sentence, and is deterministic', () => {
    const chunk = { documentTitle: 'Guide', headingPath: [], text: 'A knowledge base is a set of documents chunked and embedded the same way. Reindexing rebuilds stale documents.' };
    const records = extractiveQa(chunk);
    expect(records.map((r) => r.messages[0].content)).toContain('What is a knowledge base?');
    expect(records.find((r) => r.messages[0].content === 'What is a knowledge base?')!.messages[1].content).toBe('A knowledge base is a set of documents chunked and embedded the same way.');
    expect(extractiveQa(chunk)).toEqual(records);
  });

  it('makes nothing from a chunk without sentences', () => {
    expect(sentencesOf('  \n ')).toEqual([]);
    expect(extractiveQa({ documentTitle: 'x', headingPath: ['Title'], text: 'Title' })).toEqual([]);
  });
});

describe('building a dataset from a knowledge base', () => {
  let h: StructuringHarness;
  beforeAll(async () => {
    h = await startStructuringHarness();
    h.ingestion.knowledgeBases.set('kb_alice', {
      ownerId: 'usr_alice',
      processing: 0,
      documents: [
        { id: 'doc_1', title: 'Boiler manual', chunks: boilerChunks('1', 6) },
        { id: 'doc_2', title: 'Pump manual', chunks: boilerChunks('2', 4) },
      ],
    });
  });
  afterAll(() => h.close());

  const newDataset = async (owner = 'usr_alice') => (await h.as('user', owner).post('/api/datasets').send({ name: `Built ${Date.now()}` }).expect(201)).body.id as string;

  it('reads the chunks as the requesting user and stores question/answer records labelled with the generator', async () => {
    const ds = await newDataset();
    const started = await h.as('user', 'usr_alice').post(`/api/datasets/${ds}/builds`).send({ knowledgeBaseId: 'kb_alice' }).expect(202);
    expect(started.body).toMatchObject({ status: 'queued', params: { knowledgeBaseId: 'kb_alice', mode: 'qa' } });
    const build = await h.waitForBuild(started.body.id);
    expect(build).toMatchObject({ status: 'completed', progress: { documents: 2, chunks: 10 } });
    expect(build.progress.records).toBeGreaterThanOrEqual(20);
    const callers = new Set(h.ingestion.calls.map((c) => `${c.identity?.userId}/${c.identity?.via}/${c.identity?.service}`));
    expect([...callers]).toEqual(['usr_alice/service/data-structuring']);
    const dataset = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}`).expect(200)).body;
    expect(dataset.records.total).toBe(build.progress.records);
    expect(dataset.recipe.sources).toEqual([expect.objectContaining({ type: 'knowledge-base', knowledgeBaseId: 'kb_alice', mode: 'qa', generator: expect.objectContaining({ name: 'extractive-qa', deterministic: true }) })]);
    const [record] = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}/records?limit=1`).expect(200)).body.data;
    expect(record.source).toMatchObject({ type: 'knowledge-base', knowledgeBaseId: 'kb_alice', documentId: 'doc_1', chunkId: 'chk_1_000', generator: 'extractive-qa' });
  });

  it('stores each chunk as a text record in text mode, up to the chunk limit', async () => {
    const ds = await newDataset();
    const started = await h.as('user', 'usr_alice').post(`/api/datasets/${ds}/builds`).send({ knowledgeBaseId: 'kb_alice', mode: 'text', maxChunks: 7 }).expect(202);
    expect(await h.waitForBuild(started.body.id)).toMatchObject({ status: 'completed', progress: { chunks: 7, records: 7 } });
    const records = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}/records`).expect(200)).body.data;
    expect(records[0].record).toEqual({ text: boilerChunks('1', 1)[0].text });
  });

  it('starts over when a lost attempt left records behind, keeping no duplicates', async () => {
    const ds = await newDataset();
    const stores = createPgStructuringStores(h.db);
    const build = await stores.builds.insert({ id: newId('dsb'), datasetId: ds, params: { knowledgeBaseId: 'kb_alice', mode: 'text', generator: 'extractive', maxChunks: 3 }, createdBy: 'usr_alice' });
    await stores.builds.update(build.id, { status: 'running' });
    const leftover = { type: 'knowledge-base' as const, buildId: build.id, knowledgeBaseId: 'kb_alice', documentId: 'doc_1', chunkId: 'chk_1_000', generator: 'chunk-text' };
    await stores.records.insertMany([{ id: newId('rec'), datasetId: ds, record: { text: 'from the lost attempt' }, tokens: 4, source: leftover }]);
    const alice = { userId: 'usr_alice', username: 'alice', role: 'user' as const, via: 'token' as const };
    await h.structuring.builds.handle({ id: 'job_retry', queue: 'structuring-builds', data: { buildId: build.id, identity: alice }, attempt: 2, signal: new AbortController().signal });
    expect(await stores.builds.get(build.id)).toMatchObject({ status: 'completed', progress: { records: 3 } });
    const records = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}/records`).expect(200)).body.data;
    expect(records.map((r: { record: { text: string } }) => r.record.text)).toEqual(boilerChunks('1', 3).map((c) => c.text));
  });

  it('refuses the chat endpoint generator when none is configured', async () => {
    const ds = await newDataset();
    const res = await h.as('user', 'usr_alice').post(`/api/datasets/${ds}/builds`).send({ knowledgeBaseId: 'kb_alice', generator: 'chat-endpoint' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'no_chat_endpoint', message: expect.stringContaining('LLMP_DATASET_GENERATOR_URL') });
  });

  it('fails, storing nothing, when the user may not read the knowledge base', async () => {
    const ds = await newDataset('usr_bob');
    const started = await h.as('user', 'usr_bob').post(`/api/datasets/${ds}/builds`).send({ knowledgeBaseId: 'kb_alice' }).expect(202);
    const build = await h.waitForBuild(started.body.id);
    expect(build.status).toBe('failed');
    expect(build.error).toMatch(/does not exist or bob may not read it/);
    expect((await h.as('user', 'usr_bob').get(`/api/datasets/${ds}`).expect(200)).body.records.total).toBe(0);
  });

  it('cancels a running build and removes what it stored', async () => {
    h.ingestion.knowledgeBases.set('kb_big', {
      ownerId: 'usr_alice',
      processing: 0,
      documents: Array.from({ length: 30 }, (_, i) => ({ id: `doc_big_${String(i).padStart(2, '0')}`, title: `Manual ${i}`, chunks: boilerChunks(`b${i}`, 40) })),
    });
    h.ingestion.chunkDelayMs = 150;
    try {
      const ds = await newDataset();
      const started = await h.as('user', 'usr_alice').post(`/api/datasets/${ds}/builds`).send({ knowledgeBaseId: 'kb_big' }).expect(202);
      const deadline = Date.now() + 20_000;
      while ((await h.as('user', 'usr_alice').get(`/api/datasets/builds/${started.body.id}`).expect(200)).body.progress.records === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await h.as('user', 'usr_bob').post(`/api/datasets/builds/${started.body.id}/cancel`).expect(404);
      await h.as('user', 'usr_alice').post(`/api/datasets/builds/${started.body.id}/cancel`).expect(200);
      const build = await h.waitForBuild(started.body.id);
      expect(build.status).toBe('cancelled');
      expect((await h.as('user', 'usr_alice').get(`/api/datasets/${ds}`).expect(200)).body.records.total).toBe(0);
    } finally {
      h.ingestion.chunkDelayMs = 0;
    }
  });

  it('waits for documents still processing, then freezes a version when asked (the demo)', async () => {
    h.ingestion.knowledgeBases.set('kb_demo', { ownerId: null, processing: 1, documents: [{ id: 'doc_demo', title: 'Demo', chunks: boilerChunks('d', 6) }] });
    const { dataset, build } = await h.structuring.loadDemo('kb_demo');
    expect(dataset).toMatchObject({ name: 'Demo', ownerId: null, visibility: 'organisation' });
    const asked = () => h.ingestion.calls.filter((c) => c.path === '/api/ingestion/knowledge-bases/kb_demo').length;
    for (let i = 0; i < 200 && asked() < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(asked()).toBeGreaterThanOrEqual(2);
    expect((await h.structuring.builds.get(build!.id, 'system')).status).toBe('running');
    h.ingestion.knowledgeBases.get('kb_demo')!.processing = 0;
    const done = await h.waitForBuild(build!.id);
    expect(done.status).toBe('completed');
    const version = (await h.as('user', 'usr_bob').get(`/api/datasets/versions/${done.progress.versionId}`).expect(200)).body;
    expect(version).toMatchObject({ status: 'frozen', kind: 'chat', split: { from: 'not-rejected', seed: 'demo' } });
    expect(version.counts.train + version.counts.validation).toBe(done.progress.records);
    expect(await h.structuring.loadDemo('kb_demo')).toMatchObject({ dataset: { id: dataset.id }, build: null });
  });

  it('lets an admin load the demo dataset from the shared "Demo" knowledge base, once (the staging seed)', async () => {
    await h.as('manager').post('/api/datasets/demo').expect(403);
    const missing = await h.as('admin').post('/api/datasets/demo').expect(404);
    expect(missing.body.error).toMatchObject({ code: 'demo_knowledge_base_missing', message: expect.stringContaining('POST /api/ingestion/demo') });
    h.ingestion.knowledgeBases.get('kb_demo')!.name = 'Demo';
    const again = await h.as('admin').post('/api/datasets/demo').expect(200);
    expect(again.body).toMatchObject({ dataset: { name: 'Demo' }, build: null });
  });
});
