import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmbedderCatalog } from './embedder-catalog';
import { EmbedderError } from './embedder';
import { createHashingEmbedder } from './hashing-embedder';
import { createOpenAiEmbedder } from './openai-embedder';

const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

/**
 * The hashing embedder's definition written plainly, one string per
 * feature: vectors stored by earlier versions came from it, so the
 * embedder must give exactly these, to the last bit.
 */
function definedHashingVector(text: string, dimension: number): number[] {
  const stopwords = new Set(
    ('a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our she so ' +
      'than that the their them then there these they this to was we were what when where which who will with you your do does can')
      .split(' '),
  );
  const fnv1a = (value: string, seed: number) => {
    let h = seed >>> 0;
    for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
    return h >>> 0;
  };
  const counts = new Map<string, number>();
  const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
  const words = (text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !stopwords.has(w));
  words.forEach((word, i) => {
    add(`w:${word}`);
    if (i > 0) add(`b:${words[i - 1]} ${word}`);
    const padded = `<${word}>`;
    for (const n of [3, 4]) for (let j = 0; j + n <= padded.length; j++) add(`c:${padded.slice(j, j + n)}`);
  });
  const vector = new Float64Array(dimension);
  for (const [feature, tf] of counts) {
    const family = feature[0] === 'w' ? 1 : feature[0] === 'b' ? 0.6 : 0.3;
    vector[fnv1a(feature, 0x811c9dc5) % dimension] += (fnv1a(feature, 0x9747b28c) & 1 ? 1 : -1) * family * (1 + Math.log(tf));
  }
  let norm = Math.sqrt(vector.reduce((n, v) => n + v * v, 0));
  if (norm === 0) vector[0] = norm = 1;
  return Array.from(vector, (v) => v / norm);
}

describe('hashing embedder', () => {
  const embedder = createHashingEmbedder({ dimension: 256 });

  it('gives the same unit vector for the same text, on every run', async () => {
    const [a] = await embedder.embed(['Replace the pump seals every 2000 hours.']);
    const [b] = await createHashingEmbedder({ dimension: 256 }).embed(['Replace the pump seals every 2000 hours.']);
    expect(a).toEqual(b);
    expect(a).toHaveLength(256);
    expect(Math.sqrt(cosine(a, a))).toBeCloseTo(1, 10);
  });

  it('gives bit for bit the vectors of its plain definition, whatever it remembers from earlier texts', async () => {
    const texts = [
      'Replace the pump seals every 2000 hours.',
      'Replace the pump seals every 2000 hours.',
      'The pump, the PUMP and the pumps: ﬁne print in Ｆｕｌｌｗｉｄｔｈ and naïve café text.',
      'seal seal seal seal seal seal seal seal pump',
      '',
      '—?!',
      '日本語のテキストと English words 123 456',
      'PUMP Pump pump pUmP: 2000HOURS, seals2 a_b-c THE The the',
      Array.from({ length: 100 }, () => 'seal pump').join(' '),
    ];
    // More distinct words than it remembers, so the memory starts over in between.
    let state = 7;
    const random = () => (state = (state * 16807) % 2147483647);
    const nonsense = Array.from({ length: 300 }, () => random().toString(36)).join(' ');
    const fresh = createHashingEmbedder({ dimension: 384, rememberedFeatures: 1000 });
    const got = await fresh.embed([...texts, nonsense, ...texts]);
    [...texts, nonsense, ...texts].forEach((text, i) => expect(got[i]).toEqual(definedHashingVector(text, 384)));
  });

  it('gives the same vectors once it remembers thousands of words, upper case or lower', async () => {
    let state = 11;
    const random = () => (state = (state * 16807) % 2147483647);
    const vocabulary = Array.from({ length: 6000 }, () => random().toString(36));
    const texts = Array.from({ length: 20 }, (_, t) =>
      Array.from({ length: 400 }, (_, i) => {
        const word = vocabulary[(t * 151 + i * i) % vocabulary.length];
        return i % 3 ? word : word.toUpperCase();
      }).join(' '),
    );
    const got = await createHashingEmbedder({ dimension: 384 }).embed(texts);
    texts.forEach((text, i) => expect(got[i]).toEqual(definedHashingVector(text, 384)));
  });

  it('places related texts closer than unrelated ones, through shared words and inflections', async () => {
    const [query, related, inflected, unrelated] = await embedder.embed([
      'how often should pump seals be replaced',
      'Replace the pump seals every 2000 hours of operation.',
      'Replacing seals on pumps',
      'The cafeteria serves lunch from noon until two.',
    ]);
    expect(cosine(query, related)).toBeGreaterThan(cosine(query, unrelated) + 0.2);
    expect(cosine(query, inflected)).toBeGreaterThan(cosine(query, unrelated));
  });

  it('weights repeated words sublinearly', async () => {
    const [once, many, other] = await embedder.embed(['seal pump', 'seal seal seal seal seal seal seal seal pump', 'pump']);
    // Eight times the word is far less than eight times the weight: "pump" still counts.
    expect(cosine(many, other)).toBeGreaterThan(0.2);
    expect(cosine(once, many)).toBeGreaterThan(0.8);
  });

  it('gives text without words a unit vector, never a zero one', async () => {
    const [v] = await embedder.embed(['—?!']);
    expect(cosine(v, v)).toBeCloseTo(1);
  });
});

interface Seen {
  body: { model: string; input: string[] };
  headers: IncomingMessage['headers'];
}

/** A real OpenAI-compatible server on 127.0.0.1, scripted per request. */
async function anEmbeddingsServer(script: (n: number, body: Seen['body'], res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      seen.push({ body, headers: req.headers });
      script(seen.length, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function answer(res: ServerResponse, input: string[], dimension = 3) {
  res.setHeader('content-type', 'application/json');
  // Out of order on purpose: clients must sort by index.
  const data = input.map((text, index) => ({ object: 'embedding', index, embedding: Array.from({ length: dimension }, (_, d) => text.length + d) })).reverse();
  res.end(JSON.stringify({ object: 'list', data, model: 'm' }));
}

describe('OpenAI-compatible embedder', () => {
  let server: Awaited<ReturnType<typeof anEmbeddingsServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends batches with the model and key, and returns vectors in input order', async () => {
    server = await anEmbeddingsServer((_n, body, res) => answer(res, body.input));
    const embedder = createOpenAiEmbedder({ baseUrl: server.url, model: 'nomic-embed-text', dimension: 3, apiKey: 'k-123', batchSize: 2 });
    const vectors = await embedder.embed(['a', 'bb', 'ccc', 'dddd', 'eeeee']);
    expect(vectors).toEqual([1, 2, 3, 4, 5].map((n) => [n, n + 1, n + 2]));
    expect(server.seen.map((s) => s.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(server.seen[0].body.model).toBe('nomic-embed-text');
    expect(server.seen[0].headers.authorization).toBe('Bearer k-123');
    expect(embedder.name).toBe('openai:nomic-embed-text');
  });

  it('retries 503 and 429 (honouring Retry-After) and then succeeds', async () => {
    server = await anEmbeddingsServer((n, body, res) => {
      if (n === 1) return res.writeHead(503).end('{"error":{"message":"loading model"}}');
      if (n === 2) return res.writeHead(429, { 'retry-after': '0' }).end('slow down');
      answer(res, body.input);
    });
    const embedder = createOpenAiEmbedder({ baseUrl: server.url, model: 'm', dimension: 3, retryBaseMs: 10 });
    expect(await embedder.embed(['hi'])).toEqual([[2, 3, 4]]);
    expect(server.seen).toHaveLength(3);
  });

  it('does not retry a 400 and says what the server said', async () => {
    server = await anEmbeddingsServer((_n, _body, res) => res.writeHead(400).end('{"error":{"message":"input too long"}}'));
    const embedder = createOpenAiEmbedder({ baseUrl: server.url, model: 'm', dimension: 3, retryBaseMs: 10 });
    const error = await embedder.embed(['x']).catch((e) => e);
    expect(error).toBeInstanceOf(EmbedderError);
    expect(error).toMatchObject({ permanent: true, status: 400, message: expect.stringMatching(/answered 400: input too long$/) });
    expect(server.seen).toHaveLength(1);
  });

  it('times out a request that hangs, retries it, and gives up as a transient failure', async () => {
    server = await anEmbeddingsServer(() => undefined);
    const embedder = createOpenAiEmbedder({ baseUrl: server.url, model: 'm', dimension: 3, timeoutMs: 150, maxRetries: 1, retryBaseMs: 10 });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ permanent: false, message: expect.stringMatching(/no answer within 150 ms/) });
    expect(server.seen).toHaveLength(2);
  });

  it('refuses vectors of another dimension than pinned', async () => {
    server = await anEmbeddingsServer((_n, body, res) => answer(res, body.input, 5));
    const embedder = createOpenAiEmbedder({ baseUrl: server.url, model: 'm', dimension: 3 });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ permanent: true, message: expect.stringMatching(/returned 5-dimensional embeddings but 3 were expected/) });
  });

  it('reports a server that is not there as transient', async () => {
    const embedder = createOpenAiEmbedder({ baseUrl: 'http://127.0.0.1:1/v1', model: 'm', dimension: 3, maxRetries: 0 });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ permanent: false, message: expect.stringMatching(/^embedding server http:\/\/127.0.0.1:1\/v1\/embeddings failed/) });
  });

  it('stops when the caller aborts', async () => {
    server = await anEmbeddingsServer(() => undefined);
    const embedder = createOpenAiEmbedder({ baseUrl: server.url, model: 'm', dimension: 3, timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by test')), 50);
    await expect(embedder.embed(['x'], { signal: controller.signal })).rejects.toThrow('cancelled by test');
  });
});

describe('embedder catalog', () => {
  it('offers the built-in embedder at any sane dimension and the configured server at its own', () => {
    const catalog = createEmbedderCatalog({ openAi: { baseUrl: 'http://x/v1', model: 'bge', dimension: 768 } });
    expect(catalog.problem({ name: 'hashing-ngram-v1', dimension: 64 })).toBeNull();
    expect(catalog.problem({ name: 'openai:bge', dimension: 768 })).toBeNull();
    expect(catalog.problem({ name: 'openai:bge', dimension: 384 })).toBe('openai:bge produces 768-dimensional vectors, not 384');
    expect(catalog.problem({ name: 'word2vec', dimension: 300 })).toBe('embedder "word2vec" is not available here; choose one of: hashing-ngram-v1, openai:bge');
    expect(catalog.resolve({ name: 'hashing-ngram-v1', dimension: 64 }).dimension).toBe(64);
  });
});
