import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@llmp/config';
import { chatEndpointOf, structuringEnv } from '../structuring.config';
import { startStructuringHarness, type StructuringHarness } from '../testing/structuring-harness';
import { CHAT_ENDPOINT_GENERATOR, createChatEndpointGenerator } from './qa-generators';

interface Seen {
  authorization?: string;
  body: { model: string; temperature: number; response_format: unknown; messages: Array<{ role: string; content: string }> };
}

/** A stand-in OpenAI-compatible server on 127.0.0.1 that answers with the replies it is given, in turn, and then the last one. */
async function startChatServer(replies: Array<{ status?: number; content?: string; raw?: string }>) {
  const seen: Seen[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    seen.push({ authorization: req.headers.authorization, body: JSON.parse(text) });
    const reply = replies[Math.min(seen.length - 1, replies.length - 1)];
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
    res.end(reply.raw ?? JSON.stringify({ choices: [{ message: { role: 'assistant', content: reply.content } }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const chunk = { documentTitle: 'Security FAQ', headingPath: ['Security FAQ', 'Passwords'], text: 'Passwords are hashed with scrypt and never logged.' };
const pairs = JSON.stringify({ pairs: [{ question: 'How are passwords stored?', answer: 'Hashed with scrypt, never logged.' }] });

describe('the OpenAI-compatible chat generator', () => {
  it('asks for JSON at temperature 0 with the passage, and turns the pairs into conversations', async () => {
    const server = await startChatServer([{ content: '```json\n' + pairs + '\n```' }]);
    try {
      const generator = createChatEndpointGenerator({ url: server.url, model: 'qwen2.5:7b', apiKey: 'sk-test' });
      expect(await generator.generate(chunk)).toEqual([
        { messages: [{ role: 'user', content: 'How are passwords stored?' }, { role: 'assistant', content: 'Hashed with scrypt, never logged.' }] },
      ]);
      expect(server.seen[0].authorization).toBe('Bearer sk-test');
      expect(server.seen[0].body).toMatchObject({ model: 'qwen2.5:7b', temperature: 0, response_format: { type: 'json_object' } });
      expect(server.seen[0].body.messages[1].content).toBe('Document: Security FAQ\nSection: Security FAQ > Passwords\n\nPassage:\nPasswords are hashed with scrypt and never logged.');
      expect(generator.label).toMatchObject({ name: CHAT_ENDPOINT_GENERATOR, model: 'qwen2.5:7b', prompt: { system: server.seen[0].body.messages[0].content } });
      expect(JSON.stringify(generator.label)).not.toContain('sk-test');
    } finally {
      await server.close();
    }
  });

  it('asks again when the reply is not the JSON asked for, and fails with the reason after the last attempt', async () => {
    const server = await startChatServer([{ content: 'Sure! Here are some pairs:' }, { content: '{"pairs": [{"question": ""}]}' }, { status: 503, raw: 'busy' }, { content: pairs }]);
    try {
      const retried = createChatEndpointGenerator({ url: server.url, model: 'm', maxAttempts: 4 });
      expect(await retried.generate(chunk)).toHaveLength(1);
      expect(server.seen).toHaveLength(4);
      const failing = createChatEndpointGenerator({ url: 'http://127.0.0.1:1/v1', model: 'm', maxAttempts: 2 });
      await expect(failing.generate(chunk)).rejects.toThrow(/no usable answer from the chat endpoint after 2 attempts: the chat endpoint could not be reached/);
    } finally {
      await server.close();
    }
  });

  it('gives up at once when the endpoint refuses the request', async () => {
    const server = await startChatServer([{ status: 401, raw: '{"error": "bad key"}' }]);
    try {
      await expect(createChatEndpointGenerator({ url: server.url, model: 'm' }).generate(chunk)).rejects.toMatchObject({ kind: 'invalid', code: 'generator_refused' });
      expect(server.seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('is configured by both LLMP_DATASET_GENERATOR_URL and _MODEL, or not at all', () => {
    const base = { LLMP_INTERNAL_SECRET: 'x'.repeat(32) };
    expect(chatEndpointOf(loadConfig(structuringEnv, base))).toBeNull();
    expect(chatEndpointOf(loadConfig(structuringEnv, { ...base, LLMP_DATASET_GENERATOR_URL: 'http://127.0.0.1:11434/v1', LLMP_DATASET_GENERATOR_MODEL: 'llama3' }))).toMatchObject({ model: 'llama3', timeoutMs: 60_000 });
    expect(() => loadConfig(structuringEnv, { ...base, LLMP_DATASET_GENERATOR_URL: 'http://127.0.0.1:11434/v1' })).toThrow(/LLMP_DATASET_GENERATOR_MODEL/);
  });
});

describe('builds with a chat endpoint configured', () => {
  let h: StructuringHarness;
  let server: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    server = await startChatServer([{ content: 'not json' }, { content: pairs }]);
    h = await startStructuringHarness({ chatEndpoint: { url: server.url, model: 'llama3', maxAttempts: 3 } });
    h.ingestion.knowledgeBases.set('kb_faq', { ownerId: 'usr_alice', processing: 0, documents: [{ id: 'doc_faq', title: 'Security FAQ', chunks: [{ id: 'chk_1', headingPath: ['Passwords'], text: chunk.text }] }] });
  });
  afterAll(async () => {
    await h.close();
    await server.close();
  });

  it('writes the pairs with the endpoint and stores the prompt in the recipe', async () => {
    const ds = (await h.as('user', 'usr_alice').post('/api/datasets').send({ name: 'FAQ' }).expect(201)).body.id;
    const started = (await h.as('user', 'usr_alice').post(`/api/datasets/${ds}/builds`).send({ knowledgeBaseId: 'kb_faq' }).expect(202)).body;
    expect(started.params.generator).toBe('chat-endpoint');
    expect(await h.waitForBuild(started.id)).toMatchObject({ status: 'completed', progress: { records: 1 } });
    const dataset = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}`).expect(200)).body;
    expect(dataset.recipe.sources[0].generator).toMatchObject({ name: CHAT_ENDPOINT_GENERATOR, model: 'llama3', prompt: { system: expect.stringContaining('Reply with JSON only') } });
    const [record] = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}/records`).expect(200)).body.data;
    expect(record).toMatchObject({ record: { messages: [{ content: 'How are passwords stored?' }, { content: 'Hashed with scrypt, never logged.' }] }, source: { generator: CHAT_ENDPOINT_GENERATOR } });
    const extractive = (await h.as('user', 'usr_alice').post(`/api/datasets/${ds}/builds`).send({ knowledgeBaseId: 'kb_faq', generator: 'extractive' }).expect(202)).body;
    expect(extractive.params.generator).toBe('extractive');
  });
});
