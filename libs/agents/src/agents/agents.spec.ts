import { aUser, startAgentsHarness, type AgentsHarness } from '../testing/agents-harness';

describe('agents and their versions', () => {
  let h: AgentsHarness;
  const alice = aUser('usr_alice');
  const bob = aUser('usr_bob');
  const manager = aUser('usr_mia', 'manager');

  beforeAll(async () => {
    h = await startAgentsHarness();
  });
  afterAll(() => h.close());

  const anAgent = async (name: string, extra: object = {}) => (await h.as(alice).post('/api/agents').send({ name, ...extra }).expect(201)).body;

  it('creates an agent with a default extractive draft and nothing published', async () => {
    const agent = await anAgent('helper');
    expect(agent).toMatchObject({
      id: expect.stringMatching(/^agent_[0-9a-z]{26}$/),
      name: 'helper',
      ownerId: 'usr_alice',
      visibility: 'private',
      publishedVersion: null,
      draft: { provider: { kind: 'extractive' }, systemPrompt: '', knowledgeBaseIds: [], retrieval: { topK: 4, maxContextTokens: 1500 }, generation: { maxTokens: 256 } },
    });
  });

  it('refuses a second agent with the same name, whatever its case, with 409 naming the field', async () => {
    await anAgent('twin');
    const res = await h.as(bob).post('/api/agents').send({ name: 'twin' }).expect(409);
    expect(res.body.error).toMatchObject({ code: 'agent_name_taken', message: expect.stringContaining('body.name') });
  });

  it.each([
    [{ name: 'Has Spaces' }, 'body.name'],
    [{ name: 'x@2' }, 'body.name'],
    [{ name: 'ok', config: { provider: { kind: 'gguf', model: '../etc/passwd' } } }, 'body.config.provider.model'],
    [{ name: 'ok', config: { provider: { kind: 'quantum' } } }, 'body.config.provider.kind'],
    [{ name: 'ok', config: { retrieval: { topK: 0 } } }, 'body.config.retrieval.topK'],
    [{ name: 'ok', config: { knowledgeBaseIds: ['doc_1'] } }, 'body.config.knowledgeBaseIds[0]'],
  ])('refuses a bad agent %j with 400 naming %s', async (body, field) => {
    const res = await h.as(alice).post('/api/agents').send(body).expect(400);
    expect(res.body.error.message).toContain(field);
  });

  it('publishes immutable versions, rolls back to any of them and diffs two field by field', async () => {
    const agent = await anAgent('versions', { config: { systemPrompt: 'first' } });
    const v1 = (await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201)).body;
    expect(v1).toMatchObject({ id: expect.stringMatching(/^agv_/), number: 1, config: { systemPrompt: 'first' } });
    await h.as(alice).patch(`/api/agents/${agent.id}`).send({ config: { systemPrompt: 'second', generation: { maxTokens: 64 } } }).expect(200);
    const v2 = (await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201)).body;
    expect(v2.number).toBe(2);
    // Editing the draft again leaves published versions as they were.
    await h.as(alice).patch(`/api/agents/${agent.id}`).send({ config: { systemPrompt: 'third' } }).expect(200);
    expect((await h.as(alice).get(`/api/agents/${agent.id}/versions/1`).expect(200)).body.config.systemPrompt).toBe('first');
    expect((await h.as(alice).get(`/api/agents/${agent.id}/versions/${v2.id}`).expect(200)).body.config.systemPrompt).toBe('second');

    const rolled = (await h.as(alice).post(`/api/agents/${agent.id}/rollback`).send({ version: 1 }).expect(200)).body;
    expect(rolled).toMatchObject({ publishedVersion: { id: v1.id, number: 1 }, draft: { systemPrompt: 'third' } });
    const forward = (await h.as(alice).post(`/api/agents/${agent.id}/rollback`).send({ version: v2.id }).expect(200)).body;
    expect(forward.publishedVersion).toEqual({ id: v2.id, number: 2 });

    const diff = (await h.as(alice).get(`/api/agents/${agent.id}/diff?from=1&to=${v2.id}`).expect(200)).body;
    expect(diff).toEqual({
      from: 1,
      to: 2,
      changes: [
        { field: 'generation.maxTokens', from: 256, to: 64 },
        { field: 'systemPrompt', from: 'first', to: 'second' },
      ],
    });
    expect((await h.as(alice).get(`/api/agents/${agent.id}/versions`).expect(200)).body.data.map((v: { number: number }) => v.number)).toEqual([1, 2]);
  });

  it('answers 404 for a version that does not exist and 400 for one that cannot', async () => {
    const agent = await anAgent('no-versions');
    expect((await h.as(alice).post(`/api/agents/${agent.id}/rollback`).send({ version: 3 }).expect(404)).body.error.code).toBe('version_not_found');
    expect((await h.as(alice).get(`/api/agents/${agent.id}/diff?from=1&to=nope`).expect(400)).body.error.message).toContain('query.to');
    expect((await h.as(alice).get(`/api/agents/${agent.id}/diff?from=1`).expect(400)).body.error.message).toContain('query.to');
  });

  it('hides a private agent from other users, lets them read an organisation one but not change it, and lets a manager do everything', async () => {
    const hidden = await anAgent('hidden');
    const shared = await anAgent('shared', { visibility: 'organisation' });
    await h.as(bob).get(`/api/agents/${hidden.id}`).expect(404);
    await h.as(bob).post(`/api/agents/${hidden.id}/publish`).expect(404);
    await h.as(bob).get(`/api/agents/${shared.id}`).expect(200);
    expect((await h.as(bob).post(`/api/agents/${shared.id}/publish`).expect(403)).body.error.code).toBe('access_denied');
    await h.as(bob).post(`/api/agents/${shared.id}/keys`).send({ name: 'mine' }).expect(403);
    const listed = (await h.as(bob).get('/api/agents').expect(200)).body.data.map((a: { name: string }) => a.name);
    expect(listed).toContain('shared');
    expect(listed).not.toContain('hidden');
    await h.as(manager).post(`/api/agents/${hidden.id}/publish`).expect(201);
  });

  it('shows a key once, stores only its hash, and lists it without the secret', async () => {
    const agent = await anAgent('keyed');
    const created = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'ci', rpm: 10, tpm: 1000 }).expect(201)).body;
    expect(created).toMatchObject({ id: expect.stringMatching(/^agk_/), key: expect.stringMatching(/^llmp_agk_[A-Za-z0-9_-]{43}$/), rpm: 10, tpm: 1000, revokedAt: null });
    const listed = (await h.as(alice).get(`/api/agents/${agent.id}/keys`).expect(200)).body.data;
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty('key');
    const { rows } = await h.db.query<{ secret_hash: string }>('select secret_hash from agents.keys where id = $1', [created.id]);
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(created.key);
    const revoked = (await h.as(alice).delete(`/api/agents/${agent.id}/keys/${created.id}`).expect(200)).body;
    expect(revoked.revokedAt).toEqual(expect.any(String));
    expect((await h.as(alice).delete(`/api/agents/${agent.id}/keys/agk_missing`).expect(404)).body.error.code).toBe('key_not_found');
  });

  it('archives an agent: no longer listed, never published again', async () => {
    const agent = await anAgent('retired');
    const archived = (await h.as(alice).post(`/api/agents/${agent.id}/archive`).expect(200)).body;
    expect(archived.archivedAt).toEqual(expect.any(String));
    expect((await h.as(alice).get('/api/agents').expect(200)).body.data.map((a: { name: string }) => a.name)).not.toContain('retired');
    expect((await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(400)).body.error.code).toBe('agent_archived');
  });

  it('publishes the demo agent once for an admin, over the knowledge base it is given', async () => {
    const admin = aUser('usr_root', 'admin');
    await h.as(manager).post('/api/agents/demo').send({ knowledgeBaseId: 'kb_demo1' }).expect(403);
    const first = (await h.as(admin).post('/api/agents/demo').send({ knowledgeBaseId: 'kb_demo1' }).expect(201)).body;
    expect(first.agent).toMatchObject({ name: 'demo', ownerId: null, visibility: 'organisation', publishedVersion: { number: 1 }, draft: { provider: { kind: 'extractive' }, knowledgeBaseIds: ['kb_demo1'] } });
    expect((await h.as(admin).post('/api/agents/demo').send({ knowledgeBaseId: 'kb_demo1' }).expect(200)).body.agent.id).toBe(first.agent.id);
    expect((await h.as(admin).post('/api/agents/demo').send({}).expect(400)).body.error.message).toContain('body.knowledgeBaseId');
  });

  it('refuses a usage query with a malformed date', async () => {
    expect((await h.as(alice).get('/api/agents/usage?from=yesterday').expect(400)).body.error.message).toContain('query.from');
  });
});
