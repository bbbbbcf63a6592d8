import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import request from 'supertest';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { EXTRACTIVE_LABEL } from '@llmp/agents';
import { hasLlamaCppBinary, writeTinyGguf } from '@llmp/agents/testing/tiny-gguf';
import { createLogger, sleep } from '@llmp/core';
import { startPlatform, type Platform } from './platform';

const log = createLogger({ name: 'test', level: 'silent' });

interface Citation {
  index: number;
  documentId: string;
  title: string;
  heading: string | null;
  startOffset: number;
  endOffset: number;
  score: number;
}

describe('agents served through the gateway with the official openai client', () => {
  let platform: Platform;
  let admin: string;
  let demoKbId: string;
  let demoAgentId: string;
  let demoKey: string;
  let modelsDir: string;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${platform.url}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'llmp-models-'));
    if (hasLlamaCppBinary()) await writeTinyGguf(join(modelsDir, 'tiny.gguf'));
    platform = await startPlatform({ log, port: 0, passwordCost: TEST_PASSWORD_COST, demoData: true, modelsDir });
    admin = (await request(platform.url).post('/api/auth/login').send({ username: 'admin', password: platform.firstAdmin!.password }).expect(200)).body.token;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const kbs = (await request(platform.url).get('/api/ingestion/knowledge-bases').set(as(admin)).expect(200)).body.data;
      const demo = kbs.find((kb: { name: string }) => kb.name === 'Demo');
      if (demo && demo.documents.total > 0 && demo.documents.ready === demo.documents.total) {
        demoKbId = demo.id;
        break;
      }
      if (Date.now() > deadline) throw new Error('the demo documents were not ready within 60 s');
      await sleep(250);
    }
    const agents = (await request(platform.url).get('/api/agents').set(as(admin)).expect(200)).body.data;
    demoAgentId = agents.find((a: { name: string }) => a.name === 'demo').id;
    demoKey = (await request(platform.url).post(`/api/agents/${demoAgentId}/keys`).set(as(admin)).send({ name: 'tests' }).expect(201)).body.key;
  });
  afterAll(async () => {
    await platform.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('publishes the demo agent over the demo knowledge base on the first run', async () => {
    const agent = (await request(platform.url).get(`/api/agents/${demoAgentId}`).set(as(admin)).expect(200)).body;
    expect(agent).toMatchObject({ name: 'demo', visibility: 'organisation', publishedVersion: { number: 1 }, draft: { provider: { kind: 'extractive' }, knowledgeBaseIds: [demoKbId] } });
    const keys = (await request(platform.url).get(`/api/agents/${demoAgentId}/keys`).set(as(admin)).expect(200)).body.data;
    expect(keys[0]).toMatchObject({ name: 'tests', prefix: demoKey.slice(0, 'llmp_agk'.length + 7), revokedAt: null });
    expect(JSON.stringify(keys)).not.toContain(demoKey);
  });

  it('answers a completion with quoted passages and their citations', async () => {
    const completion = await client(demoKey).chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'How are passwords stored?' }] });
    expect(completion).toMatchObject({ object: 'chat.completion', model: 'demo@1', id: expect.stringMatching(/^chatcmpl-/), created: expect.any(Number) });
    const [choice] = completion.choices;
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content).toContain(EXTRACTIVE_LABEL);
    expect(choice.message.content).toContain('scrypt');
    const citations = (completion as unknown as { citations: Citation[] }).citations;
    expect(citations.length).toBeGreaterThan(0);
    expect(citations[0]).toMatchObject({ index: 1, documentId: expect.stringMatching(/^doc_/), title: 'Security FAQ', startOffset: expect.any(Number), score: expect.any(Number) });
    expect(choice.message.content).toContain('[1]');
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
  });

  it('streams the same answer over SSE, with citations and usage at the end', async () => {
    const question = { model: 'demo', messages: [{ role: 'user' as const, content: 'How are passwords stored?' }] };
    const whole = await client(demoKey).chat.completions.create(question);
    const stream = await client(demoKey).chat.completions.create({ ...question, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    // The extractive answer is ready at once: its first words leave first, the rest joined (see `paced`).
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThanOrEqual(2);
    expect(text).toBe(whole.choices[0].message.content);
    const last = chunks.findLast((c) => c.choices[0]?.finish_reason);
    expect(last!.choices[0].finish_reason).toBe('stop');
    expect((last as unknown as { citations: Citation[] }).citations).toEqual((whole as unknown as { citations: Citation[] }).citations);
    expect(chunks.at(-1)!.usage).toEqual(whole.usage);
  });

  (hasLlamaCppBinary() ? it : it.skip)('answers and streams from an agent on a GGUF model, with the openai client', async () => {
    const agent = (
      await request(platform.url)
        .post('/api/agents')
        .set(as(admin))
        .send({ name: 'local', config: { provider: { kind: 'gguf', model: 'tiny.gguf' }, knowledgeBaseIds: [demoKbId], retrieval: { topK: 2, maxContextTokens: 60 }, generation: { temperature: 0, maxTokens: 16 } } })
        .expect(201)
    ).body;
    await request(platform.url).post(`/api/agents/${agent.id}/publish`).set(as(admin)).expect(201);
    const key = (await request(platform.url).post(`/api/agents/${agent.id}/keys`).set(as(admin)).send({ name: 'local' }).expect(201)).body.key;
    const question = { model: 'local', messages: [{ role: 'user' as const, content: 'Who may delete documents?' }] };
    const whole = await client(key).chat.completions.create(question);
    expect(whole.model).toBe('local@1');
    expect(whole.usage!.completion_tokens).toBeGreaterThan(0);
    expect((whole as unknown as { llmp: { provider: string } }).llmp.provider).toBe('gguf');
    let text = '';
    let citations: Citation[] = [];
    for await (const chunk of await client(key).chat.completions.create({ ...question, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) citations = (chunk as unknown as { citations: Citation[] }).citations;
    }
    expect(text).toBe(whole.choices[0].message.content);
    expect(citations).toEqual((whole as unknown as { citations: Citation[] }).citations);
  }, 60_000);

  it('refuses an agent over a knowledge base its creator may not read, naming the field', async () => {
    await request(platform.url).post('/api/users').set(as(admin)).send({ username: 'carol', password: 'carol-password' }).expect(201);
    const carol = (await request(platform.url).post('/api/auth/login').send({ username: 'carol', password: 'carol-password' }).expect(200)).body.token;
    const secret = (await request(platform.url).post('/api/ingestion/knowledge-bases').set(as(admin)).send({ name: 'Board minutes' }).expect(201)).body;
    const res = await request(platform.url).post('/api/agents').set(as(carol)).send({ name: 'snoop', config: { knowledgeBaseIds: [demoKbId, secret.id] } }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'knowledge_base_not_found', message: expect.stringContaining('body.config.knowledgeBaseIds[1]') });
    await request(platform.url).post('/api/agents').set(as(carol)).send({ name: 'reader', config: { knowledgeBaseIds: [demoKbId] } }).expect(201);
  });

  it('lists the agent as a model', async () => {
    const models = await client(demoKey).models.list();
    expect(models.data.map((m) => m.id)).toEqual(['demo']);
  });

  it.each([
    ['an unknown model', { model: 'nobody', messages: [{ role: 'user', content: 'hi' }] }, 'model'],
    ['n > 1', { model: 'demo', n: 2, messages: [{ role: 'user', content: 'hi' }] }, 'n'],
    ['a tool message', { model: 'demo', messages: [{ role: 'tool', content: 'hi', tool_call_id: 'x' }] }, 'messages[0].role'],
    ['empty messages', { model: 'demo', messages: [] }, 'messages'],
    ['an empty message', { model: 'demo', messages: [{ role: 'user', content: '  ' }] }, 'messages[0].content'],
    ['an oversized message', { model: 'demo', messages: [{ role: 'user', content: 'x'.repeat(200_001) }] }, 'messages'],
    ['an unsupported parameter', { model: 'demo', tools: [], messages: [{ role: 'user', content: 'hi' }] }, 'tools'],
    ['an unknown parameter', { model: 'demo', colour: 'red', messages: [{ role: 'user', content: 'hi' }] }, 'colour'],
  ])('refuses %s with a 400 in OpenAI’s shape naming the parameter', async (_, body, param) => {
    const error = await client(demoKey).chat.completions.create(body as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const e = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.param).toBe(param);
    expect(e.type).toBe('invalid_request_error');
    expect(e.message).toEqual(expect.any(String));
  });

  it('refuses an unknown agent key with 401 and platform tokens on /v1', async () => {
    await expect(client(`llmp_agk_${'x'.repeat(43)}`).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const res = await request(platform.url).get('/v1/models').set(as(admin)).expect(401);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
  });

  it('refuses an agent key sent to the service directly, not through the gateway', async () => {
    const direct = platform.services['agent-deployment'].server.url;
    const res = await request(direct).get('/v1/models').set(as(demoKey)).expect(401);
    expect(res.body.error.code).toBe('not_through_gateway');
  });

  it('switches between versions without a restart while requests keep coming, and diffs them', async () => {
    const created = (
      await request(platform.url)
        .post('/api/agents')
        .set(as(admin))
        .send({ name: 'versioned', config: { knowledgeBaseIds: [demoKbId] } })
        .expect(201)
    ).body;
    await request(platform.url).post(`/api/agents/${created.id}/publish`).set(as(admin)).expect(201);
    await request(platform.url).patch(`/api/agents/${created.id}`).set(as(admin)).send({ config: { knowledgeBaseIds: [], retrieval: { topK: 2, maxContextTokens: 500 } } }).expect(200);
    const v2 = (await request(platform.url).post(`/api/agents/${created.id}/publish`).set(as(admin)).expect(201)).body;
    expect(v2.number).toBe(2);
    const diff = (await request(platform.url).get(`/api/agents/${created.id}/diff?from=1&to=2`).set(as(admin)).expect(200)).body;
    expect(diff.changes).toEqual([
      { field: 'knowledgeBaseIds', from: [demoKbId], to: [] },
      { field: 'retrieval.maxContextTokens', from: 1500, to: 500 },
      { field: 'retrieval.topK', from: 4, to: 2 },
    ]);
    const key = (await request(platform.url).post(`/api/agents/${created.id}/keys`).set(as(admin)).send({ name: 'switch' }).expect(201)).body.key;
    const openai = client(key);
    const ask = () => openai.chat.completions.create({ model: 'versioned', messages: [{ role: 'user', content: 'How are passwords stored?' }] });

    expect((await ask()).model).toBe('versioned@2');
    const seen: string[] = [];
    let rolledBack = false;
    const rollback = (async () => {
      await sleep(100);
      await request(platform.url).post(`/api/agents/${created.id}/rollback`).set(as(admin)).send({ version: 1 }).expect(200);
      rolledBack = true;
    })();
    // Four clients ask in a loop across the switch; every answer must succeed.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 8; i++) seen.push(`${(await ask()).model}${rolledBack ? ' after' : ''}`);
      }),
    );
    await rollback;
    expect(seen).toHaveLength(32);
    expect(seen.filter((s) => s.endsWith(' after')).every((s) => s.startsWith('versioned@1'))).toBe(true);
    const after = await ask();
    expect(after.model).toBe('versioned@1');
    expect((after as unknown as { citations: Citation[] }).citations.length).toBeGreaterThan(0);
    const pinned = await openai.chat.completions.create({ model: 'versioned@2', messages: [{ role: 'user', content: 'How are passwords stored?' }] });
    expect((pinned as unknown as { citations: Citation[] }).citations).toEqual([]);
  });

  it('holds a key to its requests-per-minute limit with exact 429s and OpenAI’s headers, and usage matches what was answered', async () => {
    const agent = (await request(platform.url).post('/api/agents').set(as(admin)).send({ name: 'limited', config: { knowledgeBaseIds: [demoKbId] } }).expect(201)).body;
    await request(platform.url).post(`/api/agents/${agent.id}/publish`).set(as(admin)).expect(201);
    const key = (await request(platform.url).post(`/api/agents/${agent.id}/keys`).set(as(admin)).send({ name: 'burst', rpm: 5 }).expect(201)).body;
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        request(platform.url).post('/v1/chat/completions').set(as(key.key)).send({ model: 'limited', messages: [{ role: 'user', content: 'Who may delete documents?' }] }),
      ),
    );
    const ok = burst.filter((r) => r.status === 200);
    const limited = burst.filter((r) => r.status === 429);
    expect([ok.length, limited.length]).toEqual([5, 7]);
    for (const res of limited) {
      expect(res.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(res.headers).toMatchObject({ 'x-ratelimit-limit-requests': '5', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': expect.stringMatching(/^\d+(\.\d)?s$/) });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    }
    expect(ok.map((r) => r.headers['x-ratelimit-remaining-requests']).sort()).toEqual(['0', '1', '2', '3', '4']);

    const usage = (await request(platform.url).get(`/api/agents/usage?agentId=${agent.id}`).set(as(admin)).expect(200)).body.data;
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({
      agentId: agent.id,
      keyId: key.id,
      requests: 5,
      failed: 0,
      promptTokens: ok.reduce((sum, r) => sum + r.body.usage.prompt_tokens, 0),
      completionTokens: ok.reduce((sum, r) => sum + r.body.usage.completion_tokens, 0),
    });
    expect(usage[0].meanTimeToFirstTokenMs).toBeGreaterThan(0);
  });

  it('stops serving a revoked key and an archived agent', async () => {
    const agent = (await request(platform.url).post('/api/agents').set(as(admin)).send({ name: 'short-lived' }).expect(201)).body;
    await request(platform.url).post(`/api/agents/${agent.id}/publish`).set(as(admin)).expect(201);
    const [a, b] = [
      (await request(platform.url).post(`/api/agents/${agent.id}/keys`).set(as(admin)).send({ name: 'a' }).expect(201)).body,
      (await request(platform.url).post(`/api/agents/${agent.id}/keys`).set(as(admin)).send({ name: 'b' }).expect(201)).body,
    ];
    await request(platform.url).get('/v1/models').set(as(a.key)).expect(200);
    await request(platform.url).delete(`/api/agents/${agent.id}/keys/${a.id}`).set(as(admin)).expect(200);
    await request(platform.url).get('/v1/models').set(as(a.key)).expect(401);
    await request(platform.url).post(`/api/agents/${agent.id}/archive`).set(as(admin)).expect(200);
    await request(platform.url).get('/v1/models').set(as(b.key)).expect(401);
  });
});
