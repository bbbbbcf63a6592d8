import { request as httpRequest } from 'node:http';
import { sleep } from '@llmp/core';
import { aUser, startAgentsHarness, type AgentsHarness } from '../testing/agents-harness';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../testing/fake-openai-server';

describe('agents on an OpenAI-compatible upstream', () => {
  let upstream: FakeOpenAiServer;
  let h: AgentsHarness;
  const alice = aUser('usr_alice');
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    upstream = await startFakeOpenAiServer();
    h = await startAgentsHarness({
      upstream: { baseUrl: upstream.url, apiKey: 'sk-upstream', idleTimeoutMs: 400 },
      concurrency: { concurrency: 1, queueSize: 0, queueTimeoutMs: 1000 },
    });
    for (const model of ['echo', 'fail', 'silent', 'endless']) {
      const agent = (
        await h.as(alice).post('/api/agents').send({ name: model, config: { provider: { kind: 'openai', model }, systemPrompt: `You are ${model}.` } }).expect(201)
      ).body;
      await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
      keys[model] = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key;
    }
  });
  afterAll(async () => {
    await h.close();
    await upstream.close();
  });

  const ask = (model: string, extra: object = {}) =>
    h.withKey(keys[model]).post('/v1/chat/completions').send({ model, messages: [{ role: 'user', content: 'one two three four' }], ...extra });

  it('sends the prompt to the upstream with its key and answers with the upstream’s text and token counts', async () => {
    const res = await ask('echo').expect(200);
    expect(res.body).toMatchObject({
      object: 'chat.completion',
      model: 'echo@1',
      choices: [{ index: 0, message: { role: 'assistant', content: 'one two three four' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
      citations: [],
      llmp: { provider: 'openai', extractive: false },
    });
    expect(upstream.requests.at(-1)).toMatchObject({
      model: 'echo',
      stream: true,
      messages: [
        { role: 'system', content: 'You are echo.' },
        { role: 'user', content: 'one two three four' },
      ],
    });
    expect(upstream.authorizations.at(-1)).toBe('Bearer sk-upstream');
  });

  it('takes the agent’s id as the model too, and a version pinned by number', async () => {
    const [agent] = (await h.as(alice).get('/api/agents').expect(200)).body.data.filter((a: { name: string }) => a.name === 'echo');
    const res = await h.withKey(keys.echo).post('/v1/chat/completions').send({ model: `${agent.id}@1`, messages: [{ role: 'user', content: 'by id' }] }).expect(200);
    expect(res.body).toMatchObject({ model: 'echo@1', choices: [{ message: { content: 'by id' } }] });
    const missing = await h.withKey(keys.echo).post('/v1/chat/completions').send({ model: 'echo@7', messages: [{ role: 'user', content: 'hi' }] }).expect(400);
    expect(missing.body.error).toMatchObject({ param: 'model', code: 'model_not_found' });
    const otherAgent = await h.withKey(keys.echo).post('/v1/chat/completions').send({ model: 'fail', messages: [{ role: 'user', content: 'hi' }] }).expect(400);
    expect(otherAgent.body.error.param).toBe('model');
  });

  it('judges the key before the request and the model, which are looked up beside it', async () => {
    const unknownKey = `${keys.echo.slice(0, -4)}zzzz`;
    const badBody = await h.withKey(unknownKey).post('/v1/chat/completions').send({ model: 'echo', messages: [] }).expect(401);
    expect(badBody.body.error.code).toBe('invalid_api_key');
    const badModel = await h.withKey(unknownKey).post('/v1/chat/completions').send({ model: 'echo@x', messages: [{ role: 'user', content: 'hi' }] }).expect(401);
    expect(badModel.body.error.code).toBe('invalid_api_key');
    const badVersion = await h.withKey(keys.echo).post('/v1/chat/completions').send({ model: 'echo@x', messages: [{ role: 'user', content: 'hi' }] }).expect(400);
    expect(badVersion.body.error).toMatchObject({ param: 'model', code: 'model_not_found' });
    const noMessages = await h.withKey(keys.echo).post('/v1/chat/completions').send({ model: 'echo', messages: [] }).expect(400);
    expect(noMessages.body.error.param).toBe('messages');
  });

  it('passes the upstream’s stream through as OpenAI chunks', async () => {
    const res = await ask('echo', { stream: true }).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => done(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = (res.body as string).split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('one two three four');
    expect(chunks.at(-1)).toMatchObject({ object: 'chat.completion.chunk', choices: [{ delta: {}, finish_reason: 'stop' }], citations: [] });
  });

  it('answers 502 in OpenAI’s shape when the upstream fails', async () => {
    const res = await ask('fail').expect(502);
    expect(res.body.error).toMatchObject({ type: 'server_error', code: 'provider_failed', message: expect.stringContaining('the GPU caught fire') });
  });

  it('answers 504 when the upstream stays silent, and hangs nothing', async () => {
    const started = Date.now();
    const res = await ask('silent').expect(504);
    expect(res.body.error.code).toBe('provider_timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    await ask('echo').expect(200);
  });

  it('stops the upstream when the client leaves mid-stream, frees the slot and records the call as cancelled', async () => {
    const closedBefore = upstream.closedStreams;
    const target = new URL('/v1/chat/completions', h.forwarder.url);
    const body = JSON.stringify({ model: 'endless', stream: true, messages: [{ role: 'user', content: 'go on' }] });
    const received = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${keys.endless}`,
          'x-test-identity': JSON.stringify({ userId: 'svc_api-gateway', username: 'agent-key', role: 'user', via: 'service', service: 'api-gateway' }),
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8');
          if (text.includes('more')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.end(body);
    });
    expect(received).toContain('"content":"more "');

    // The one slot is busy only while the stream runs: within a few seconds of leaving, the upstream sees the close and the slot is free again.
    const deadline = Date.now() + 5000;
    while (upstream.closedStreams === closedBefore && Date.now() < deadline) await sleep(20);
    expect(upstream.closedStreams).toBe(closedBefore + 1);
    await ask('echo').expect(200);
    const { rows } = await h.db.query<{ status: string; completion_tokens: number }>(
      `select u.status, u.completion_tokens from agents.usage u join agents.agents a on a.id = u.agent_id where a.name = 'endless'`,
    );
    expect(rows).toEqual([{ status: 'cancelled', completion_tokens: expect.any(Number) }]);
    expect(rows[0].completion_tokens).toBeGreaterThan(0);
  });

  it('answers 429 with Retry-After while the only slot is busy and nobody may wait', async () => {
    const target = new URL('/v1/chat/completions', h.forwarder.url);
    const body = JSON.stringify({ model: 'endless', stream: true, messages: [{ role: 'user', content: 'go on' }] });
    const req = httpRequest(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${keys.endless}`,
        'x-test-identity': JSON.stringify({ userId: 'svc_api-gateway', username: 'agent-key', role: 'user', via: 'service', service: 'api-gateway' }),
      },
    });
    req.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      req.on('response', (res) => res.once('data', () => resolve()));
      req.end(body);
    });
    try {
      const res = await ask('echo').expect(429);
      expect(res.body.error).toMatchObject({ type: 'rate_limit_error', code: 'model_busy' });
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      req.destroy();
    }
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await ask('echo');
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the slot was not freed: ${res.status}`);
      await sleep(50);
    }
  });
});
