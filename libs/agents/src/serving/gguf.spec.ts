import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createLogger, sleep, upstreamFailed } from '@llmp/core';
import type { KnowledgeSource } from '../ingestion-client';
import { aUser, startAgentsHarness, type AgentsHarness } from '../testing/agents-harness';
import { seaKnowledge, tides } from '../testing/sea-knowledge';
import { hasLlamaCppBinary, writeTinyGguf } from '../testing/tiny-gguf';
import type { ChatMessage } from './chat-request';
import { buildPrompt, fitPassages, promptOpening } from './prompt';
import { createGgufProvider } from './providers/gguf.provider';
import type { GenerationEvent, ModelProvider, Warmed } from './providers/provider';

const describeWithLlamaCpp = hasLlamaCppBinary() ? describe : describe.skip;

describeWithLlamaCpp('agents on a local GGUF model run by llama.cpp', () => {
  let dir: string;
  let h: AgentsHarness;
  let key: string;
  const alice = aUser('usr_alice');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmp-models-'));
    await writeTinyGguf(join(dir, 'tiny.gguf'));
    h = await startAgentsHarness({ modelsDir: dir, concurrency: { concurrency: 1, queueSize: 4, queueTimeoutMs: 20_000 } });
    const agent = (
      await h.as(alice).post('/api/agents').send({ name: 'tiny', config: { provider: { kind: 'gguf', model: 'tiny.gguf' }, generation: { temperature: 0, maxTokens: 24 } } }).expect(201)
    ).body;
    await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    key = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key;
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const ask = (extra: object = {}) => h.withKey(key).post('/v1/chat/completions').send({ model: 'tiny', messages: [{ role: 'user', content: 'what does the agent answer?' }], ...extra });

  it('answers with the model’s own token counts, the same text streamed or not', async () => {
    const whole = (await ask().expect(200)).body;
    expect(whole).toMatchObject({ object: 'chat.completion', model: 'tiny@1', llmp: { provider: 'gguf', extractive: false } });
    expect(whole.usage.completion_tokens).toBeGreaterThan(0);
    expect(whole.usage.completion_tokens).toBeLessThanOrEqual(24);
    expect(['stop', 'length']).toContain(whole.choices[0].finish_reason);
    const streamed = await ask({ stream: true }).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => done(null, text));
    });
    const chunks = (streamed.body as string).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(whole.choices[0].message.content);
  }, 60_000);

  it('serves concurrent requests one sequence at a time without failing any', async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => ask()));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((r) => r.body.choices[0].message.content)).size).toBe(1);
  }, 60_000);

  it('frees the only sequence when a client leaves mid-stream, so the next answer runs', async () => {
    const body = JSON.stringify({ model: 'tiny', stream: true, messages: [{ role: 'user', content: 'tell me everything' }] });
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(new URL('/v1/chat/completions', h.forwarder.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${key}`,
          'x-test-identity': JSON.stringify({ userId: 'svc_api-gateway', username: 'agent-key', role: 'user', via: 'service', service: 'api-gateway' }),
        },
      });
      req.on('response', (res) =>
        res.once('data', () => {
          req.destroy();
          resolve();
        }),
      );
      req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
      req.end(body);
    });
    const next = await ask().expect(200);
    expect(next.body.usage.completion_tokens).toBeGreaterThan(0);
    const { rows } = await h.db.query<{ status: string }>("select status from agents.usage where stream order by id desc limit 1");
    expect(['cancelled', 'ok']).toContain(rows[0].status);
  }, 60_000);

  it('shortens earlier turns, then the question, never the system prompt first, when a prompt is longer than the model context', async () => {
    const agent = (
      await h
        .as(alice)
        .post('/api/agents')
        .send({ name: 'short-context', config: { systemPrompt: 'You answer in one short sentence.', provider: { kind: 'gguf', model: 'tiny.gguf' }, generation: { temperature: 0, maxTokens: 24 } } })
        .expect(201)
    ).body;
    await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    const shortKey = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key;
    const history = [
      { role: 'user', content: `an earlier question ${'with many words '.repeat(20)}` },
      { role: 'assistant', content: 'an earlier answer' },
    ];
    // The model's context is 256 tokens and the answer may take 24: 232 are left for the prompt.
    const fits = await h.withKey(shortKey).post('/v1/chat/completions').send({ model: 'short-context', messages: [...history, { role: 'user', content: 'and now?' }] }).expect(200);
    expect(fits.body.usage.prompt_tokens).toBe(232);
    expect(fits.body.llmp.prompt_shortened).toMatchObject({ passages_tokens: 0, from_start_tokens: 0 });
    expect(fits.body.llmp.prompt_shortened.conversation_tokens).toBeGreaterThan(100);
    // A question longer than the whole context: the earlier turns go, then the question's start; the system prompt stays.
    const tooLong = await h
      .withKey(shortKey)
      .post('/v1/chat/completions')
      .send({ model: 'short-context', messages: [...history, { role: 'user', content: 'why '.repeat(100) }] })
      .expect(200);
    expect(tooLong.body.usage.prompt_tokens).toBe(232);
    expect(tooLong.body.llmp.prompt_shortened.from_start_tokens).toBe(0);
    expect(tooLong.body.llmp.prompt_shortened.conversation_tokens).toBeGreaterThan(fits.body.llmp.prompt_shortened.conversation_tokens);
    // Only a system prompt that alone is longer than the context is cut from the start.
    const verbose = (
      await h
        .as(alice)
        .post('/api/agents')
        .send({ name: 'verbose', config: { systemPrompt: 'Answer carefully. '.repeat(20), provider: { kind: 'gguf', model: 'tiny.gguf' }, generation: { temperature: 0, maxTokens: 24 } } })
        .expect(201)
    ).body;
    await h.as(alice).post(`/api/agents/${verbose.id}/publish`).expect(201);
    const verboseKey = (await h.as(alice).post(`/api/agents/${verbose.id}/keys`).send({ name: 'k' }).expect(201)).body.key;
    const cut = await h.withKey(verboseKey).post('/v1/chat/completions').send({ model: 'verbose', messages: [{ role: 'user', content: 'and now?' }] }).expect(200);
    expect(cut.body.usage.prompt_tokens).toBe(232);
    expect(cut.body.llmp.prompt_shortened.from_start_tokens).toBeGreaterThan(0);
    // A prompt that fits says nothing of shortening.
    expect((await ask().expect(200)).body.llmp.prompt_shortened).toBeUndefined();
  }, 60_000);

  it('answers 502 when llama.cpp cannot run the file, and keeps serving the good model', async () => {
    await writeFile(join(dir, 'broken.gguf'), Buffer.concat([Buffer.from('GGUF'), randomBytes(4096)]));
    const agent = (await h.as(alice).post('/api/agents').send({ name: 'broken', config: { provider: { kind: 'gguf', model: 'broken.gguf' } } }).expect(201)).body;
    await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    const brokenKey = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key;
    const res = await h.withKey(brokenKey).post('/v1/chat/completions').send({ model: 'broken', messages: [{ role: 'user', content: 'hi' }] }).expect(502);
    expect(res.body.error).toMatchObject({ type: 'server_error', code: 'provider_failed' });
    await ask().expect(200);
  }, 60_000);

  it('answers 503 in OpenAI’s shape when the agent’s model file is missing', async () => {
    const agent = (await h.as(alice).post('/api/agents').send({ name: 'ghost', config: { provider: { kind: 'gguf', model: 'missing.gguf' } } }).expect(201)).body;
    await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    const ghostKey = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key;
    const res = await h.withKey(ghostKey).post('/v1/chat/completions').send({ model: 'ghost', messages: [{ role: 'user', content: 'hi' }] }).expect(503);
    expect(res.body.error).toMatchObject({ type: 'server_error', code: 'model_file_missing' });
  });
});

describeWithLlamaCpp('a GGUF model reading the prompt’s opening while retrieval runs', () => {
  let dir: string;
  const log = createLogger({ name: 'test', level: 'silent' });
  const systemPrompt = 'You answer questions about the sea from the passages.';
  const question: ChatMessage = { role: 'user', content: 'when are spring tides?' };
  const withPassages = buildPrompt(systemPrompt, fitPassages([tides], 1500), [question]);
  const without = buildPrompt(systemPrompt, [], [question]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmp-models-'));
    await writeTinyGguf(join(dir, 'tiny.gguf'));
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const provider = { kind: 'gguf' as const, model: 'tiny.gguf' };
  async function answer(gguf: ModelProvider, messages: ChatMessage[], warmed?: Warmed) {
    let text = '';
    let done: Extract<GenerationEvent, { type: 'done' }> | undefined;
    const request = { provider, messages, passages: [], shortenable: [1], maxTokens: 24, temperature: 0, topP: 1, stop: [], signal: new AbortController().signal };
    for await (const event of gguf.generate({ ...request, ...(warmed ? { warmed } : {}) })) {
      if (event.type === 'delta') text += event.text;
      else done = event;
    }
    return { text, promptTokens: done!.usage!.promptTokens, readAhead: done!.readAhead ?? 0 };
  }

  it('answers as a generation that read the whole prompt at once, whether or not retrieval found passages', async () => {
    const gguf = createGgufProvider({ modelsDir: dir, sequences: 1, log });
    try {
      const cold = await answer(gguf, withPassages);
      const warm = await answer(gguf, withPassages, gguf.warm!({ provider, opening: promptOpening(systemPrompt), maxTokens: 24 }));
      expect(warm).toMatchObject({ text: cold.text, promptTokens: cold.promptTokens });
      // The system prompt and the passages' lead-in were read before the rest came.
      expect(warm.readAhead).toBeGreaterThan(10);
      expect(warm.readAhead).toBeLessThan(cold.promptTokens);

      // Nothing found: the lead-in the model read is not in the prompt, and is read no further than the system prompt.
      const coldWithout = await answer(gguf, without);
      const warmWithout = await answer(gguf, without, gguf.warm!({ provider, opening: promptOpening(systemPrompt), maxTokens: 24 }));
      expect(warmWithout).toMatchObject({ text: coldWithout.text, promptTokens: coldWithout.promptTokens });
      expect(warmWithout.readAhead).toBeGreaterThan(0);
      expect(warmWithout.readAhead).toBeLessThan(warm.readAhead);
    } finally {
      await gguf.close?.();
    }
  }, 60_000);

  it('hands a warmed sequence back when no generation follows, so the only sequence serves the next answer', async () => {
    const gguf = createGgufProvider({ modelsDir: dir, sequences: 1, log });
    try {
      const cold = await answer(gguf, withPassages);
      for (let i = 0; i < 3; i++) gguf.warm!({ provider, opening: promptOpening(systemPrompt), maxTokens: 24 }).release();
      // Released before the model was even resolved, and released while reading: neither keeps the sequence.
      const reading = gguf.warm!({ provider, opening: promptOpening(systemPrompt), maxTokens: 24 });
      await sleep(50);
      reading.release();
      expect(await answer(gguf, withPassages)).toMatchObject({ text: cold.text, readAhead: 0 });
    } finally {
      await gguf.close?.();
    }
  }, 60_000);

  it('frees the model slot and the warmed sequence when retrieval fails, and answers the next question', async () => {
    let failNext = false;
    const knowledge: KnowledgeSource = {
      canRead: seaKnowledge.canRead,
      async search() {
        await sleep(40);
        if (failNext) {
          failNext = false;
          throw upstreamFailed({ code: 'retrieval_unavailable', message: 'the knowledge base search is not reachable' });
        }
        return [tides];
      },
    };
    const h = await startAgentsHarness({ modelsDir: dir, knowledge, concurrency: { concurrency: 1, queueSize: 4, queueTimeoutMs: 20_000 } });
    try {
      const bob = aUser('usr_bob');
      const agent = (
        await h
          .as(bob)
          .post('/api/agents')
          .send({ name: 'sea', config: { systemPrompt, knowledgeBaseIds: ['kb_sea'], provider, generation: { temperature: 0, maxTokens: 24 } } })
          .expect(201)
      ).body;
      await h.as(bob).post(`/api/agents/${agent.id}/publish`).expect(201);
      const key = (await h.as(bob).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key;
      const ask = () => h.withKey(key).post('/v1/chat/completions').send({ model: 'sea', messages: [question] });
      const first = (await ask().expect(200)).body;
      expect(first.citations).toHaveLength(1);
      failNext = true;
      expect((await ask().expect(502)).body.error.code).toBe('retrieval_unavailable');
      const again = (await ask().expect(200)).body;
      expect(again.choices[0].message.content).toBe(first.choices[0].message.content);
      expect(again.usage.prompt_tokens).toBe(first.usage.prompt_tokens);
    } finally {
      await h.close();
    }
  }, 60_000);
});
