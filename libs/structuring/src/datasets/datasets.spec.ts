import { datasetRecordSchema, datasetVersionSummarySchema } from '@llmp/contracts';
import { createCleaningPipeline } from '../cleaning/cleaning-pass';
import { createExactDedupPass } from '../cleaning/exact-dedup';
import { createNearDedupPass } from '../cleaning/near-dedup';
import { createPiiRedactionPass } from '../cleaning/pii';
import type { DatasetRecord } from '../records/record';
import { parseRecord } from '../records/formats';
import { startStructuringHarness, type StructuringHarness } from '../testing/structuring-harness';

const chat = (question: string, answer: string) => JSON.stringify({ messages: [{ role: 'user', content: question }, { role: 'assistant', content: answer }] });
const distinctAnswers = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => chat(`How do I configure pump ${i + from}?`, `Open valve ${i + from}, wait ${(i + from) * 7} seconds for pressure, then close valve ${i + from}.`));
const ndjson = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('datasets', () => {
  let h: StructuringHarness;
  beforeAll(async () => {
    h = await startStructuringHarness();
  });
  afterAll(() => h.close());

  const createDataset = async (owner = 'usr_alice', body: object = { name: 'Pump answers' }) => (await h.as('user', owner).post('/api/datasets').send(body).expect(201)).body as { id: string };
  const upload = (id: string, lines: string[], owner = 'usr_alice') => h.as('user', owner).post(`/api/datasets/${id}/uploads`).type('application/x-ndjson').send(lines.join('\n'));

  describe('ownership', () => {
    it('creates private datasets that only their owner and managers see', async () => {
      const ds = await createDataset('usr_alice', { name: 'Alice private' });
      await h.as('user', 'usr_bob').get(`/api/datasets/${ds.id}`).expect(404);
      await h.as('manager').get(`/api/datasets/${ds.id}`).expect(200);
      const bobs = (await h.as('user', 'usr_bob').get('/api/datasets').expect(200)).body.data as Array<{ id: string }>;
      expect(bobs.map((d) => d.id)).not.toContain(ds.id);
      const shared = await createDataset('usr_alice', { name: 'Shared', visibility: 'organisation' });
      await h.as('user', 'usr_bob').get(`/api/datasets/${shared.id}`).expect(200);
      const refused = await upload(shared.id, distinctAnswers(1), 'usr_bob').expect(403);
      expect(refused.body.error.message).toMatch(/only its owner, an editor or a manager may upload/);
    });

    it('lets the owner or a manager add, change and remove members, whose role decides what they may do', async () => {
      const ds = await createDataset('usr_alice', { name: 'With members' });
      const alice = h.as('user', 'usr_alice');
      const bob = h.as('user', 'usr_bob');
      await bob.get(`/api/datasets/${ds.id}`).expect(404);
      expect((await alice.put(`/api/datasets/${ds.id}/members/usr_bob`).send({ role: 'viewer' }).expect(200)).body).toMatchObject({ userId: 'usr_bob', role: 'viewer', addedBy: 'usr_alice' });
      await bob.get(`/api/datasets/${ds.id}`).expect(200);
      expect((await bob.get(`/api/datasets/${ds.id}/members`).expect(200)).body.data).toEqual([expect.objectContaining({ userId: 'usr_bob', role: 'viewer' })]);
      expect((await upload(ds.id, distinctAnswers(1), 'usr_bob').expect(403)).body.error.code).toBe('access_denied');

      await h.as('manager').put(`/api/datasets/${ds.id}/members/usr_bob`).send({ role: 'editor' }).expect(200);
      await upload(ds.id, distinctAnswers(1), 'usr_bob').expect(201);
      // An editor changes the contents, not who may: that is for the owner or a manager.
      const refused = await bob.put(`/api/datasets/${ds.id}/members/usr_carol`).send({ role: 'viewer' }).expect(403);
      expect(refused.body.error.message).toMatch(/only its owner or a manager may change the members of this dataset/);
      await h.as('user', 'usr_carol').put(`/api/datasets/${ds.id}/members/usr_carol`).send({ role: 'editor' }).expect(404);

      expect((await alice.put(`/api/datasets/${ds.id}/members/usr_bob`).send({ role: 'owner' }).expect(400)).body.error.message).toMatch(/body\.role/);
      expect((await alice.put(`/api/datasets/${ds.id}/members/bob`).send({ role: 'viewer' }).expect(400)).body.error.message).toMatch(/params\.userId/);
      expect((await alice.put(`/api/datasets/${ds.id}/members/usr_alice`).send({ role: 'viewer' }).expect(400)).body.error.code).toBe('owner_is_not_a_member');

      await alice.delete(`/api/datasets/${ds.id}/members/usr_bob`).expect(204);
      await bob.get(`/api/datasets/${ds.id}`).expect(404);
      expect((await alice.delete(`/api/datasets/${ds.id}/members/usr_bob`).expect(404)).body.error.code).toBe('member_not_found');
      expect((await alice.get(`/api/datasets/${ds.id}/members`).expect(200)).body.data).toEqual([]);

      const anonymous = await fetch(`${h.forwarderUrl}/api/datasets/${ds.id}/members`);
      expect(anonymous.status).toBe(401);
    });

    it('refuses a body that is not a dataset, naming the field', async () => {
      const res = await h.as('user').post('/api/datasets').send({ name: '' }).expect(400);
      expect(res.body.error.message).toMatch(/body\.name/);
    });
  });

  describe('uploads', () => {
    it('stores the good lines of a JSONL file and reports each bad one by line and path', async () => {
      const ds = await createDataset();
      const lines = [...distinctAnswers(3), '{"messages": [{"role": "robot", "content": "x"}]}', 'not json', '', ...distinctAnswers(2, 3)];
      const res = await upload(ds.id, lines).expect(201);
      expect(res.body).toMatchObject({ stored: 5, rejected: 2, errorCount: 2, formats: { 'openai-chat': 5 } });
      expect(res.body.errors[0]).toBe('line 4: messages[0].role must be one of system, user, assistant');
      expect(res.body.errors[1]).toMatch(/^line 5: is not valid JSON/);
      expect(res.body.issues[0]).toEqual({ line: 4, path: 'messages[0].role', message: 'must be one of system, user, assistant' });
      expect(res.body.issues[1]).toMatchObject({ line: 5, path: '' });
      const dataset = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}`).expect(200)).body;
      expect(dataset.records).toEqual({ total: 5, pending: 5, accepted: 0, rejected: 0 });
      expect(dataset.recipe.sources).toEqual([expect.objectContaining({ type: 'upload', stored: 5, rejected: 2 })]);
    });

    it('counts tokens with the target model family and warns about examples over its context length', async () => {
      const ds = await createDataset();
      const long = chat('Summarise the manual.', 'word '.repeat(60));
      const res = await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/uploads?model=llama-3.1-8b&contextLength=50`).type('application/x-ndjson').send([distinctAnswers(1)[0], long].join('\n')).expect(201);
      expect(res.body).toMatchObject({ stored: 2, warningCount: 1, tokenizer: { encoding: 'o200k_base', estimated: true, contextLength: 50 } });
      expect(res.body.warnings[0]).toMatch(/^line 2: has \d+ tokens, over the context length of 50: it will be truncated in training$/);
    });

    it('answers 422 and stores nothing when no line is good', async () => {
      const ds = await createDataset();
      const res = await upload(ds.id, ['{"instruction": "x"}', '[1]']).expect(422);
      expect(res.body.error).toMatchObject({ code: 'no_valid_records', details: { stored: 0, errorCount: 2 } });
      expect(res.body.error.details.errors).toEqual(['line 1: output is required', 'line 2: must be a JSON object']);
      expect((await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}`).expect(200)).body.records.total).toBe(0);
    });

    it('reads a JSON array larger than the JSON body limit, sent raw as application/json', async () => {
      const ds = await createDataset();
      const big = 'x'.repeat(2000);
      const items = Array.from({ length: 800 }, (_, i) => ({ instruction: `Explain item ${i}`, output: `${big} ${i}` }));
      const res = await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/uploads`).type('application/json').send(JSON.stringify(items)).expect(201);
      expect(res.body).toMatchObject({ stored: 800, rejected: 0, formats: { alpaca: 800 } });
    });

    it('takes a CSV file from a multipart form, with its filename', async () => {
      const ds = await createDataset();
      const csv = 'instruction,input,output\n"Say ""hi""",,"Hi, there"\nSum,"1,2",3\n';
      const res = await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/uploads`).attach('file', Buffer.from(csv), { filename: 'pairs.csv', contentType: 'text/csv' }).expect(201);
      expect(res.body).toMatchObject({ filename: 'pairs.csv', stored: 2 });
      const records = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}/records`).expect(200)).body.data;
      expect(records[0].record.messages).toEqual([
        { role: 'user', content: 'Say "hi"' },
        { role: 'assistant', content: 'Hi, there' },
      ]);
      expect(records[1].source).toMatchObject({ type: 'upload', filename: 'pairs.csv', line: 3 });
    });
  });

  describe('review, cleaning and versions', () => {
    let ds: { id: string };
    beforeAll(async () => {
      ds = await createDataset('usr_alice', { name: 'Reviewed' });
      const near = chat('How do I configure pump 1?', 'Open valve 1, wait 7 seconds for pressure, then close valve 1!');
      const pii = chat('Who do I call?', 'Mail jane.doe@example.com or call +44 20 7946 0958.');
      await upload(ds.id, [...distinctAnswers(14), distinctAnswers(1)[0], near, pii]).expect(201);
    });

    it('lets only managers review, pages records and filters them by status', async () => {
      const page = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}/records?limit=10`).expect(200)).body;
      expect(page.data).toHaveLength(10);
      const rest = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}/records?limit=10&after=${page.next}`).expect(200)).body;
      expect(rest.data).toHaveLength(7);
      expect(rest.next).toBeNull();
      const first = page.data[5].id as string;
      await h.as('user', 'usr_alice').patch(`/api/datasets/${ds.id}/records/${first}`).send({ status: 'accepted' }).expect(403);
      const bad = await h.as('manager').patch(`/api/datasets/${ds.id}/records/${first}`).send({ record: { messages: [{ role: 'user', content: 'only a question' }] } }).expect(400);
      expect(bad.body.error.message).toBe('record.messages must contain at least one assistant message with content');
      const edited = (await h.as('manager').patch(`/api/datasets/${ds.id}/records/${first}`).send({ record: { instruction: 'How do I configure pump 5?', output: 'Ask the duty engineer.' } }).expect(200)).body;
      expect(edited.record.messages[1]).toEqual({ role: 'assistant', content: 'Ask the duty engineer.' });
      await h.as('manager').patch(`/api/datasets/${ds.id}/records/rec_missing`).send({ status: 'accepted' }).expect(404);
    });

    it('removes exact and near duplicates and redacts personal data, recording each pass with its counts', async () => {
      const res = await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/cleaning`).send({ exactDedup: true, nearDedup: { threshold: 0.8 }, pii: { mode: 'mask' } }).expect(200);
      const [exact, near, pii] = res.body.steps;
      // A dataset this small is cleaned on the calling thread alone.
      expect(res.body.threads).toBe(0);
      expect(exact).toMatchObject({ pass: 'exact-dedup', before: 17, after: 16 });
      expect(near).toMatchObject({ pass: 'near-dedup', before: 16, after: 15, params: expect.objectContaining({ threshold: 0.8, permutations: 128, shingleSize: 5 }) });
      expect(pii).toMatchObject({ pass: 'pii-redaction', before: 15, after: 15, details: expect.objectContaining({ email: 1, phone: 1, recordsChanged: 1 }) });
      const rejected = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}/records?status=rejected`).expect(200)).body.data;
      expect(rejected.map((r: { reason: string }) => r.reason).sort()).toEqual(['cleaning: exact-dedup', 'cleaning: near-dedup']);
      const all = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}/records?status=pending&limit=100`).expect(200)).body.data;
      expect(JSON.stringify(all)).toContain('Mail [EMAIL] or call [PHONE].');
      const recipe = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}`).expect(200)).body.recipe;
      expect(recipe.steps.map((s: { pass: string }) => s.pass)).toEqual(['exact-dedup', 'near-dedup', 'pii-redaction']);
    });

    it('cleans a dataset of many records on worker threads with the outcome one thread gives', async () => {
      const many = await createDataset('usr_alice', { name: 'Many' });
      const words = 'pump valve seal motor pressure flow check install replace filter order account invoice refund shipping warranty ticket gasket'.split(' ');
      let seed = 7;
      const word = () => words[(seed = (seed * 16807) % 2147483647) % words.length];
      const lines = Array.from({ length: 5200 }, (_, i) => chat(`Question ${i}: ${Array.from({ length: 6 }, word).join(' ')}?`, Array.from({ length: 30 }, word).join(' ')));
      // Every 100th record again with its answer in upper case (an exact duplicate) and with one word added (a near one).
      for (let i = 0; i < 5200; i += 100) {
        const { messages } = JSON.parse(lines[i]) as { messages: Array<{ content: string }> };
        lines.push(chat(messages[0].content, messages[1].content.toUpperCase()), chat(messages[0].content, `${messages[1].content} again`));
      }
      lines.push(chat('Who do I call?', 'Mail jane.doe@example.com.'));
      await upload(many.id, lines).expect(201);
      const body = { exactDedup: true, nearDedup: {}, pii: { mode: 'mask' as const } };
      const res = await h.as('user', 'usr_alice').post(`/api/datasets/${many.id}/cleaning`).send(body).expect(200);
      expect(res.body.threads).toBeGreaterThanOrEqual(1);

      const alone = createCleaningPipeline([createExactDedupPass(), createNearDedupPass(), createPiiRedactionPass({ mode: 'mask' })]);
      for await (const _record of alone.run(lines.map((line) => parseRecord(JSON.parse(line) as unknown) as { record: DatasetRecord }).map((parsed) => parsed.record)));
      const counts = (steps: Array<{ pass: string; before: number; after: number }>) => steps.map(({ pass, before, after }) => ({ pass, before, after }));
      expect(counts(res.body.steps)).toEqual(counts(alone.recipe()));
      expect(counts(res.body.steps)).toEqual([
        { pass: 'exact-dedup', before: 5305, after: 5253 },
        { pass: 'near-dedup', before: 5253, after: expect.any(Number) },
        { pass: 'pii-redaction', before: expect.any(Number), after: expect.any(Number) },
      ]);
      expect(res.body.steps[1].after).toBeLessThanOrEqual(5201);
      expect(res.body.steps[2].details).toMatchObject({ email: 1, recordsChanged: 1 });
    }, 120_000);

    it('refuses to freeze fewer than the minimum of accepted examples, then freezes a version split by record id and seed', async () => {
      const few = await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/versions`).send({}).expect(422);
      expect(few.body.error).toMatchObject({ code: 'too_few_examples', message: expect.stringMatching(/at least 10 examples are needed.*there are 0 accepted/) });
      await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/review`).send({ status: 'accepted' }).expect(403);
      expect((await h.as('manager').post(`/api/datasets/${ds.id}/review`).send({ status: 'accepted' }).expect(200)).body).toEqual({ updated: 15 });
      const version = (await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/versions`).send({ validation: 0.3, seed: 42 }).expect(201)).body;
      expect(version).toMatchObject({ status: 'frozen', kind: 'chat', number: 1, split: { seed: '42', validation: 0.3, test: 0, from: 'accepted' } });
      expect(version.counts.train + version.counts.validation).toBe(15);
      expect(version.stats.examples).toBe(15);
      expect(version.recipe.steps).toHaveLength(3);

      const again = (await h.as('user', 'usr_alice').post(`/api/datasets/${ds.id}/versions`).send({ validation: 0.3, seed: 42 }).expect(201)).body;
      const sides = async (id: string) => new Map(ndjson((await h.as('user', 'usr_alice').get(`/api/datasets/versions/${id}/records`).expect(200)).text).map((r) => [r.id, r]));
      const first = await sides(version.id);
      // What training relies on (libs/contracts/src/datasets.ts).
      expect(datasetVersionSummarySchema.parse(version)).toMatchObject({ id: version.id, datasetId: ds.id });
      for (const record of first.values()) expect(datasetRecordSchema.safeParse(record).success).toBe(true);
      const validation = ndjson((await h.as('user', 'usr_alice').get(`/api/datasets/versions/${version.id}/records?split=validation`).expect('content-type', /application\/x-ndjson/).expect(200)).text);
      expect(validation).toHaveLength(version.counts.validation);
      const second = ndjson((await h.as('user', 'usr_alice').get(`/api/datasets/versions/${again.id}/records?split=validation`).expect(200)).text);
      expect(second.map((r) => r.id)).toEqual(validation.map((r) => r.id));
      expect(first.size).toBe(15);

      const someId = [...first.keys()][0] as string;
      await h.as('manager').patch(`/api/datasets/${ds.id}/records/${someId}`).send({ record: { text: 'changed after freezing' } }).expect(200);
      expect((await sides(version.id)).get(someId)).toEqual(first.get(someId));
    });

    it('exports a version in three formats, streamed, and refuses a format its records cannot take', async () => {
      const [version] = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}/versions`).expect(200)).body.data.slice(-1);
      const openai = await h.as('user', 'usr_alice').get(`/api/datasets/versions/${version.id}/export?format=openai-chat&split=train`).expect(200);
      expect(openai.headers['content-disposition']).toMatch(/attachment; filename=".*-v1-train-openai-chat\.jsonl"/);
      const lines = ndjson(openai.text);
      expect(lines).toHaveLength(version.counts.train);
      expect(lines[0]).toEqual({ messages: [expect.objectContaining({ role: 'user' }), expect.objectContaining({ role: 'assistant' })] });
      const alpaca = JSON.parse((await h.as('user', 'usr_alice').get(`/api/datasets/versions/${version.id}/export?format=alpaca`).buffer(true).expect(200)).text);
      expect(alpaca).toHaveLength(15);
      expect(alpaca[0]).toEqual({ instruction: expect.any(String), input: '', output: expect.any(String) });
      const sharegpt = JSON.parse((await h.as('user', 'usr_alice').get(`/api/datasets/versions/${version.id}/export?format=sharegpt`).buffer(true).expect(200)).text);
      expect(sharegpt[0].conversations.map((c: { from: string }) => c.from)).toEqual(['human', 'gpt']);
      const refused = await h.as('user', 'usr_alice').get(`/api/datasets/versions/${version.id}/export?format=text`).expect(400);
      expect(refused.body.error.code).toBe('format_mismatch');
      await h.as('user', 'usr_bob').get(`/api/datasets/versions/${version.id}/export`).expect(404);
    });

    it('refuses to delete a dataset while a version is held, and deletes it once released', async () => {
      const [version] = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds.id}/versions`).expect(200)).body.data;
      await h.as('user', 'usr_alice').put(`/api/datasets/versions/${version.id}/holds/ftjob_1`).expect(200);
      expect((await h.as('user', 'usr_alice').get(`/api/datasets/versions/${version.id}`).expect(200)).body.holds).toEqual(['ftjob_1']);
      const refused = await h.as('user', 'usr_alice').delete(`/api/datasets/${ds.id}`).expect(409);
      expect(refused.body.error.code).toBe('dataset_held');
      await h.as('user', 'usr_alice').delete(`/api/datasets/versions/${version.id}/holds/ftjob_1`).expect(204);
      await h.as('user', 'usr_bob').delete(`/api/datasets/${ds.id}`).expect(404);
      await h.as('user', 'usr_alice').delete(`/api/datasets/${ds.id}`).expect(204);
      await h.as('user', 'usr_alice').get(`/api/datasets/versions/${version.id}`).expect(404);
    });
  });
});
