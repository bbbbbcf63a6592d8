import request from 'supertest';
import { createLogger, sleep } from '@llmp/core';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { startPlatform, type Platform } from './platform';

const log = createLogger({ name: 'test', level: 'silent' });

/** The README's datasets walk-through, through the gateway, with the real ingestion service behind it. */
describe('datasets in the embedded platform', () => {
  let platform: Platform;
  let admin: { authorization: string };
  let user: { authorization: string };
  let manager: { authorization: string };

  const as = (who: { authorization: string }) => ({
    get: (path: string) => request(platform.url).get(path).set(who),
    post: (path: string) => request(platform.url).post(path).set(who),
  });
  async function finished(buildId: string) {
    for (let i = 0; i < 600; i++) {
      const build = (await as(admin).get(`/api/datasets/builds/${buildId}`).expect(200)).body;
      if (['completed', 'failed', 'cancelled'].includes(build.status)) return build;
      await sleep(100);
    }
    throw new Error(`build ${buildId} did not finish`);
  }

  beforeAll(async () => {
    platform = await startPlatform({ log, port: 0, passwordCost: TEST_PASSWORD_COST, demoData: true });
    const login = async (username: string, password: string) => ({
      authorization: `Bearer ${(await request(platform.url).post('/api/auth/login').send({ username, password }).expect(200)).body.token}`,
    });
    admin = await login('admin', platform.firstAdmin!.password);
    for (const role of ['user', 'manager']) await as(admin).post('/api/users').send({ username: `ds-${role}`, password: `${role}-password`, role }).expect(201);
    user = await login('ds-user', 'user-password');
    manager = await login('ds-manager', 'manager-password');
  });
  afterAll(() => platform.stop());

  it('builds the demo dataset from the demo knowledge base on the first run, with one frozen version', async () => {
    const demo = (await as(user).get('/api/datasets').expect(200)).body.data.find((d: { name: string }) => d.name === 'Demo');
    expect(demo).toMatchObject({ ownerId: null, visibility: 'organisation' });
    const [build] = (await as(user).get(`/api/datasets/${demo.id}/builds`).expect(200)).body.data;
    const done = await finished(build.id);
    expect(done).toMatchObject({ status: 'completed', progress: { documents: expect.any(Number) } });
    const version = (await as(user).get(`/api/datasets/versions/${done.progress.versionId}`).expect(200)).body;
    expect(version.counts.train + version.counts.validation).toBeGreaterThanOrEqual(10);
    const records = (await as(user).get(`/api/datasets/versions/${version.id}/records?split=train`).expect(200)).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(version.counts.train);
    // Which split a record lands in follows from its id, which is new on every build: look in both.
    const validation = (await as(user).get(`/api/datasets/versions/${version.id}/records?split=validation`).expect(200)).text;
    expect(JSON.stringify(records) + validation).toMatch(/scrypt/);
    // What the staging seed calls: the demo exists, so nothing changes.
    expect((await as(admin).post('/api/datasets/demo').expect(200)).body).toMatchObject({ dataset: { id: demo.id }, build: null });
  });

  it('walks a user from a knowledge-base build and an upload to a reviewed, cleaned, frozen and exported version', async () => {
    const kb = (await as(user).get('/api/ingestion/knowledge-bases').expect(200)).body.data.find((k: { name: string }) => k.name === 'Demo');
    const ds = (await as(user).post('/api/datasets').send({ name: 'Support answers' }).expect(201)).body;
    const build = (await as(user).post(`/api/datasets/${ds.id}/builds`).send({ knowledgeBaseId: kb.id, mode: 'qa' }).expect(202)).body;
    expect((await finished(build.id)).status).toBe('completed');

    const lines = [
      { messages: [{ role: 'user', content: 'Who do I email about invoices?' }, { role: 'assistant', content: 'Write to billing@example.com.' }] },
      { messages: [{ role: 'user', content: 'Who do I email about invoices?' }, { role: 'assistant', content: 'Write to billing@example.com.' }] },
    ].map((l) => JSON.stringify(l));
    const uploaded = await as(user).post(`/api/datasets/${ds.id}/uploads?filename=support.jsonl`).type('application/x-ndjson').send(lines.join('\n')).expect(201);
    expect(uploaded.body).toMatchObject({ stored: 2, rejected: 0 });
    const broken = await as(user).post(`/api/datasets/${ds.id}/uploads`).type('application/x-ndjson').send('{"messages": [{"role": "bot", "content": "hi"}]}\n{oops').expect(422);
    expect(broken.body.error.details.errors).toEqual(['line 1: messages[0].role must be one of system, user, assistant', expect.stringMatching(/^line 2: is not valid JSON/)]);

    const cleaned = (await as(user).post(`/api/datasets/${ds.id}/cleaning`).send({ exactDedup: true, pii: { mode: 'mask' } }).expect(200)).body;
    expect(cleaned.steps[0]).toMatchObject({ pass: 'exact-dedup', after: cleaned.steps[0].before - 1 });
    expect(cleaned.steps[1].details).toMatchObject({ email: 1 });

    await as(user).post(`/api/datasets/${ds.id}/review`).send({ status: 'accepted' }).expect(403);
    await as(manager).post(`/api/datasets/${ds.id}/review`).send({ status: 'accepted' }).expect(200);
    const version = (await as(user).post(`/api/datasets/${ds.id}/versions`).send({ validation: 0.2, seed: 7 }).expect(201)).body;
    expect(version.recipe.sources.map((s: { type: string }) => s.type)).toEqual(['knowledge-base', 'upload']);

    const openai = (await as(user).get(`/api/datasets/versions/${version.id}/export?format=openai-chat`).expect(200)).text.trim().split('\n');
    expect(openai).toHaveLength(version.counts.train + version.counts.validation);
    expect(openai.join('\n')).toContain('Write to [EMAIL].');
    const alpaca = JSON.parse((await as(user).get(`/api/datasets/versions/${version.id}/export?format=alpaca&split=train`).buffer(true).expect(200)).text);
    expect(alpaca).toHaveLength(version.counts.train);
    const sharegpt = JSON.parse((await as(user).get(`/api/datasets/versions/${version.id}/export?format=sharegpt&split=validation`).buffer(true).expect(200)).text);
    expect(sharegpt).toHaveLength(version.counts.validation);
  });
});
