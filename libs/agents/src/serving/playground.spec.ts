import request from 'supertest';
import { PLAYGROUND_LIMITS } from './serving.service';
import { aUser, startAgentsHarness, type AgentsHarness } from '../testing/agents-harness';
import { seaKnowledge as knowledge } from '../testing/sea-knowledge';


/** The `data:` events of an SSE body, parsed, without the final `[DONE]`. */
function events(body: string): Array<Record<string, unknown>> {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data: ') && block !== 'data: [DONE]')
    .map((block) => JSON.parse(block.slice('data: '.length)));
}

describe('the console playground (POST /api/agents/:id/chat)', () => {
  let h: AgentsHarness;
  const alice = aUser('usr_alice');
  const bob = aUser('usr_bob');
  const question = { messages: [{ role: 'user', content: 'When are spring tides?' }] };

  beforeAll(async () => {
    h = await startAgentsHarness({ knowledge });
  });
  afterAll(() => h.close());

  async function aPublishedAgent(name: string, extra: object = {}) {
    const agent = (await h.as(alice).post('/api/agents').send({ name, config: { knowledgeBaseIds: ['kb_sea'], systemPrompt: 'v1' }, ...extra }).expect(201)).body;
    await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    return agent as { id: string; name: string };
  }

  it('streams an answer token by token with its citations, for the owner and without an agent key', async () => {
    const agent = await aPublishedAgent('tides');
    const res = await h.as(alice).post(`/api/agents/${agent.id}/chat`).send({ ...question, stream: true }).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => (text += chunk.toString()));
      r.on('end', () => done(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(String(res.body).trimEnd().endsWith('data: [DONE]')).toBe(true);
    const chunks = events(res.body as string);
    const deltas = chunks.map((c) => (c.choices as Array<{ delta: { content?: string } }>)[0]?.delta.content ?? '').filter(Boolean);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toContain('Spring tides happen');
    const last = chunks.at(-1)!;
    expect(last.model).toBe('tides@1');
    expect(last.citations).toEqual([expect.objectContaining({ index: 1, documentId: 'doc_tides', title: 'Tides', page: 3, heading: 'Spring tides', score: 0.91 })]);
  });

  it('answers a whole completion for an earlier version when asked, and 404 for a version that does not exist', async () => {
    const agent = await aPublishedAgent('versioned');
    await h.as(alice).patch(`/api/agents/${agent.id}`).send({ config: { knowledgeBaseIds: ['kb_sea'], systemPrompt: 'v2' } }).expect(200);
    await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    const served = (await h.as(alice).post(`/api/agents/${agent.id}/chat`).send(question).expect(200)).body;
    expect(served).toMatchObject({ object: 'chat.completion', model: 'versioned@2', citations: [expect.objectContaining({ documentId: 'doc_tides' })] });
    expect((await h.as(alice).post(`/api/agents/${agent.id}/chat`).send({ ...question, version: 1 }).expect(200)).body.model).toBe('versioned@1');
    expect((await h.as(alice).post(`/api/agents/${agent.id}/chat`).send({ ...question, version: 7 }).expect(404)).body.error.code).toBe('version_not_found');
  });

  it('refuses an agent that was never published with 404 saying to publish it', async () => {
    const draft = (await h.as(alice).post('/api/agents').send({ name: 'drafty' }).expect(201)).body;
    const res = await h.as(alice).post(`/api/agents/${draft.id}/chat`).send(question).expect(404);
    expect(res.body.error.message).toContain('publish');
  });

  it.each([
    [{}, 'messages'],
    [{ messages: [] }, 'messages'],
    [{ ...question, version: 'latest' }, 'body.version'],
    [{ messages: [{ role: 'user', content: 'hi' }], tools: [] }, 'tools'],
  ])('refuses a bad conversation %j with 400 naming %s', async (body, where) => {
    const agent = await aPublishedAgent(`bad-${Object.keys(body).join('-') || 'empty'}-${Math.random().toString(36).slice(2, 6)}`);
    const res = await h.as(alice).post(`/api/agents/${agent.id}/chat`).send(body).expect(400);
    expect(res.body.error.message).toContain(where);
  });

  it("hides another user's private agent (404) and lets them chat with an organisation one they may read", async () => {
    const hidden = await aPublishedAgent('private-tides');
    expect((await h.as(bob).post(`/api/agents/${hidden.id}/chat`).send(question).expect(404)).body.error.code).toBe('agent_not_found');
    const shared = await aPublishedAgent('shared-tides', { visibility: 'organisation' });
    await h.as(bob).post(`/api/agents/${shared.id}/chat`).send(question).expect(200);
  });

  it('answers 401 to a caller without a signed identity', async () => {
    const agent = await aPublishedAgent('anonymous');
    await request(h.forwarder.url).post(`/api/agents/${agent.id}/chat`).send(question).expect(401);
  });

  it('holds each user to the playground limit of requests per minute with a 429 saying so', async () => {
    const carol = aUser('usr_carol');
    const agent = await aPublishedAgent('busy', { visibility: 'organisation' });
    for (let i = 0; i < PLAYGROUND_LIMITS.rpm!; i++) await h.as(carol).post(`/api/agents/${agent.id}/chat`).send(question).expect(200);
    const refused = await h.as(carol).post(`/api/agents/${agent.id}/chat`).send(question).expect(429);
    expect(refused.body.error.message).toContain(`your playground on requests per minute (limit ${PLAYGROUND_LIMITS.rpm})`);
    // Another user's budget is their own.
    await h.as(bob).post(`/api/agents/${agent.id}/chat`).send(question).expect(200);
  });

  it('records playground calls under the agent with no key, apart from calls with a key', async () => {
    const agent = await aPublishedAgent('counted');
    const key = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'ci' }).expect(201)).body;
    await h.as(alice).post(`/api/agents/${agent.id}/chat`).send(question).expect(200);
    await h.as(alice).post(`/api/agents/${agent.id}/chat`).send(question).expect(200);
    await h.withKey(key.key).post('/v1/chat/completions').send({ model: agent.name, ...question }).expect(200);
    const usage = (await h.as(alice).get(`/api/agents/usage?agentId=${agent.id}`).expect(200)).body.data;
    expect(usage).toEqual([
      expect.objectContaining({ source: 'api', keyId: key.id, keyName: 'ci', requests: 1 }),
      expect.objectContaining({ source: 'playground', keyId: null, keyName: null, requests: 2, failed: 0 }),
    ]);
    const { rows } = await h.db.query<{ user_id: string | null }>(`select user_id from agents.usage where agent_id = $1 and source = 'playground'`, [agent.id]);
    expect(rows.map((r) => r.user_id)).toEqual(['usr_alice', 'usr_alice']);
    // Another user sees none of it: the agent is private.
    expect((await h.as(bob).get(`/api/agents/usage?agentId=${agent.id}`).expect(200)).body.data).toEqual([]);
  });
});
