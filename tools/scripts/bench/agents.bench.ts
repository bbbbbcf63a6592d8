/**
 * Agent serving benchmark (npm run bench:agents).
 *
 * One GGUF model (llama architecture, untrained weights, written by the training library's GGUF
 * writer) answers the same question two ways, greedily and for the same number of tokens:
 * - direct: node-llama-cpp in this process, given the exact prompt the agent builds (the system
 *   prompt, the retrieved passages, the question), on a context with as many sequences as the
 *   service's and one thread, like the service's llama.cpp process;
 * - through the gateway: the embedded platform (PGlite), an agent on that model over the Demo
 *   knowledge base, streamed over SSE from `/v1/chat/completions` with an agent key: the gateway,
 *   key check, rate limiter, retrieval through the ingestion service's search API, prompt
 *   building, the llama.cpp child process and SSE are all in the path.
 * For N concurrent streams (BENCH_AGENTS_STREAMS, default 1,4,16) it prints the median time to
 * first token and per-stream decode rate (tokens after the first / time after the first) of each
 * path, the aggregate tokens/s, and what the gateway path adds. BENCH_AGENTS_TOKENS (64) tokens
 * per answer, BENCH_AGENTS_ROUNDS (3) rounds per N, BENCH_AGENTS_DMODEL (256) and
 * BENCH_AGENTS_LAYERS (4) the model's size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger, sleep } from '@llmp/core';
import { buildPrompt, fitPassages } from '../../../libs/agents/src/serving/prompt';
import { transcript } from '../../../libs/agents/src/serving/providers/gguf.provider';
import { writeTinyGguf } from '../../../libs/agents/src/testing/tiny-gguf';
import { startPlatform } from '../../../apps/platform/src/platform';

const STREAMS = (process.env['BENCH_AGENTS_STREAMS'] ?? '1,4,16').split(',').map(Number);
const TOKENS = Number(process.env['BENCH_AGENTS_TOKENS'] ?? 64);
const ROUNDS = Number(process.env['BENCH_AGENTS_ROUNDS'] ?? 3);
const D_MODEL = Number(process.env['BENCH_AGENTS_DMODEL'] ?? 256);
const LAYERS = Number(process.env['BENCH_AGENTS_LAYERS'] ?? 4);
const QUESTION = 'How are passwords stored?';
const SYSTEM_PROMPT = 'You answer questions about the llmp platform from its documentation.';
const MAX_N = Math.max(...STREAMS);

interface StreamResult {
  ttftMs: number;
  tokens: number;
  /** Tokens after the first, per second after the first. */
  decodePerS: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
const decodeRate = (tokens: number, firstAt: number, endAt: number) => (tokens > 1 && endAt > firstAt ? ((tokens - 1) * 1000) / (endAt - firstAt) : 0);

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'llmp-bench-agents-'));
  const modelFile = path.join(dir, 'bench.gguf');
  await writeTinyGguf(modelFile, { dModel: D_MODEL, nLayers: LAYERS, ffnHidden: D_MODEL * 2, contextLength: 512 });
  const platform = await startPlatform({
    log: createLogger({ name: 'bench', level: 'warn' }),
    port: 0,
    passwordCost: TEST_PASSWORD_COST,
    demoData: true,
    modelsDir: dir,
    agentConcurrency: { concurrency: MAX_N, queueSize: MAX_N, queueTimeoutMs: 120_000 },
  });
  try {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    const admin = (await request(platform.url).post('/api/auth/login').send({ username: 'admin', password: platform.firstAdmin!.password }).expect(200)).body.token;
    let kb: { id: string; documents: { total: number; ready: number } } | undefined;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
      kb = (await request(platform.url).get('/api/ingestion/knowledge-bases').set(as(admin))).body.data.find((k: { name: string }) => k.name === 'Demo');
      if (kb && kb.documents.total > 0 && kb.documents.ready === kb.documents.total) break;
    }
    const retrieval = { topK: 4, maxContextTokens: 1500 };
    const agent = (
      await request(platform.url)
        .post('/api/agents')
        .set(as(admin))
        .send({ name: 'bench', config: { provider: { kind: 'gguf', model: 'bench.gguf' }, systemPrompt: SYSTEM_PROMPT, knowledgeBaseIds: [kb!.id], retrieval, generation: { temperature: 0, maxTokens: TOKENS } } })
        .expect(201)
    ).body;
    await request(platform.url).post(`/api/agents/${agent.id}/publish`).set(as(admin)).expect(201);
    const key = (await request(platform.url).post(`/api/agents/${agent.id}/keys`).set(as(admin)).send({ name: 'bench' }).expect(201)).body.key as string;

    // The prompt the agent builds, built the same way here for the direct path.
    const hits = (await request(platform.url).post('/api/ingestion/search').set(as(admin)).send({ query: QUESTION, knowledgeBaseIds: [kb!.id], topK: retrieval.topK }).expect(200)).body.results;
    const prompt = transcript(buildPrompt(SYSTEM_PROMPT, fitPassages(hits, retrieval.maxContextTokens), [{ role: 'user', content: QUESTION }]));

    async function gatewayStream(): Promise<StreamResult> {
      const started = performance.now();
      const res = await fetch(`${platform.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...as(key), 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bench', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: QUESTION }] }),
      });
      if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${await res.text()}`);
      let firstAt = 0;
      let tokens = 0;
      let buffered = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (!event.startsWith('data: {')) continue;
          const data = JSON.parse(event.slice(6));
          if (!firstAt && data.choices?.[0]?.delta?.content) firstAt = performance.now();
          if (data.usage) tokens = data.usage.completion_tokens;
        }
      }
      const endAt = performance.now();
      return { ttftMs: firstAt - started, tokens, decodePerS: decodeRate(tokens, firstAt, endAt) };
    }

    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: modelFile });
    const context = await model.createContext({ sequences: MAX_N, contextSize: model.trainContextSize, threads: 1 });
    async function directStream(): Promise<StreamResult> {
      const started = performance.now();
      const sequence = context.getSequence();
      const input = [model.tokens.bos, ...model.tokenize(prompt)].filter((t): t is NonNullable<typeof t> => t !== null && t !== undefined).slice(-(context.contextSize - TOKENS));
      let firstAt = 0;
      let tokens = 0;
      for await (const token of sequence.evaluate(input, { temperature: 0 })) {
        if (token === model.tokens.eos) break;
        if (!firstAt) firstAt = performance.now();
        model.detokenize([token]);
        if (++tokens >= TOKENS) break;
      }
      const endAt = performance.now();
      await sequence.dispose();
      return { ttftMs: firstAt - started, tokens, decodePerS: decodeRate(tokens, firstAt, endAt) };
    }

    // Warm both paths: the service's llama.cpp process loads the model on its first request.
    await gatewayStream();
    await directStream();
    // The retrieval step alone (the ingestion service's search, through the gateway), for the TTFT breakdown.
    const searchMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await request(platform.url).post('/api/ingestion/search').set(as(admin)).send({ query: QUESTION, knowledgeBaseIds: [kb!.id], topK: retrieval.topK }).expect(200);
      searchMs.push(performance.now() - started);
    }

    const rows: string[] = [];
    for (const n of STREAMS) {
      const measured = { direct: [] as StreamResult[], gateway: [] as StreamResult[], directWall: [] as number[], gatewayWall: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const way of ['direct', 'gateway'] as const) {
          const started = performance.now();
          const results = await Promise.all(Array.from({ length: n }, () => (way === 'direct' ? directStream() : gatewayStream())));
          const wallS = (performance.now() - started) / 1000;
          measured[way].push(...results);
          measured[`${way}Wall`].push(results.reduce((sum, r) => sum + r.tokens, 0) / wallS);
        }
      }
      const ttft = { direct: median(measured.direct.map((r) => r.ttftMs)), gateway: median(measured.gateway.map((r) => r.ttftMs)) };
      const decode = { direct: median(measured.direct.map((r) => r.decodePerS)), gateway: median(measured.gateway.map((r) => r.decodePerS)) };
      const aggregate = { direct: median(measured.directWall), gateway: median(measured.gatewayWall) };
      rows.push(
        [
          `N=${String(n).padStart(2)}`,
          `TTFT p50 direct ${ttft.direct.toFixed(1)} ms, gateway ${ttft.gateway.toFixed(1)} ms (+${(ttft.gateway - ttft.direct).toFixed(1)} ms)`,
          `decode/stream direct ${decode.direct.toFixed(0)} tok/s, gateway ${decode.gateway.toFixed(0)} tok/s (${((decode.gateway / decode.direct - 1) * 100).toFixed(1)}%)`,
          `aggregate direct ${aggregate.direct.toFixed(0)} tok/s, gateway ${aggregate.gateway.toFixed(0)} tok/s`,
          `tokens/answer ${median(measured.direct.map((r) => r.tokens))}/${median(measured.gateway.map((r) => r.tokens))}`,
        ].join(' | '),
      );
    }
    const promptTokens = model.tokenize(prompt).length + 1;
    console.log(`agents bench: GGUF llama d=${D_MODEL} layers=${LAYERS} (F32, untrained), prompt ${promptTokens} tokens with ${hits.length} retrieved passages, ${TOKENS} tokens per answer, ${ROUNDS} rounds, one llama.cpp thread`);
    for (const row of rows) console.log(row);
    console.log(`retrieval alone (POST /api/ingestion/search through the gateway, PGlite): p50 ${median(searchMs).toFixed(1)} ms`);
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  } finally {
    await platform.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
