/**
 * Agent serving benchmark (npm run bench:agents).
 *
 * One GGUF model (llama architecture, untrained weights, written by the training library's GGUF
 * writer) answers the same question two ways, greedily and for the same number of tokens:
 * - direct: node-llama-cpp in this process, given the exact prompt the agent builds and fits to the model context (the system
 *   prompt, the retrieved passages, the question: the bench checks that both paths count the
 *   same prompt tokens), on a context with as many sequences as the service's and one thread,
 *   like the service's llama.cpp process;
 * - served: an agent on that model over the Demo knowledge base, streamed over SSE from
 *   `/v1/chat/completions` with an agent key: the gateway, rate limiter, key check, retrieval
 *   through the ingestion service's search API, prompt building, the llama.cpp child process and
 *   SSE are all in the path.
 * The served side runs in two layouts:
 * - multi-process, as in staging: the bundled api-gateway and agent-deployment (built by this
 *   bench into dist/apps) each in a process of their own on a Postgres database, and
 *   document-ingestion in a third process, on that server when it has pgvector (as staging's
 *   Postgres 17 image does), else over embedded PGlite; this process only sends requests. Also measured there: agent-deployment called
 *   directly with a signed identity, which splits the gateway's share from the service's;
 * - embedded: every service in this process over PGlite, the bench client on the same thread.
 * For N concurrent streams (BENCH_AGENTS_STREAMS, default 1,4,16) it prints the median time to
 * first token (and the median over rounds of each round's served minus direct) and per-stream decode rate (tokens after the first / time after the first) of each
 * path, the aggregate tokens/s, and the CPU time each serving process spent per answer (read
 * from /proc, so it holds under a loaded machine where wall times do not).
 * BENCH_AGENTS_TOKENS (64) tokens per answer, BENCH_AGENTS_ROUNDS (3) rounds per N,
 * BENCH_AGENTS_DMODEL (256) and BENCH_AGENTS_LAYERS (4) the model's size,
 * BENCH_AGENTS_LAYOUTS (multi-process,embedded) which layouts to run.
 * The multi-process layout needs DATABASE_URL (a database of its own is created and dropped).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Agent } from 'undici';
import { requestTarget, signIdentity } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger, sleep } from '@llmp/core';
import { createPgDb } from '@llmp/db';
import { AGENT_KEY_CALLER } from '@llmp/gateway';
import { buildPrompt, fitPassages, shortenableMessages } from '../../../libs/agents/src/serving/prompt';
import { transcriptParts } from '../../../libs/agents/src/serving/providers/gguf.provider';
import { writeTinyGguf } from '../../../libs/agents/src/testing/tiny-gguf';
import { startPlatform } from '../../../apps/platform/src/platform';

const STREAMS = (process.env['BENCH_AGENTS_STREAMS'] ?? '1,4,16').split(',').map(Number);
const TOKENS = Number(process.env['BENCH_AGENTS_TOKENS'] ?? 64);
const ROUNDS = Number(process.env['BENCH_AGENTS_ROUNDS'] ?? 3);
const D_MODEL = Number(process.env['BENCH_AGENTS_DMODEL'] ?? 256);
const LAYERS = Number(process.env['BENCH_AGENTS_LAYERS'] ?? 4);
const LAYOUTS = (process.env['BENCH_AGENTS_LAYOUTS'] ?? 'multi-process,embedded').split(',');
const QUESTION = 'How are passwords stored?';
const SYSTEM_PROMPT = 'You answer questions about the llmp platform from its documentation.';
const MAX_N = Math.max(...STREAMS);
const RETRIEVAL = { topK: 4, maxContextTokens: 1500 };
const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist/apps');
const CLOCK_TICKS_PER_S = 100;
/** Extra node arguments for the gateway and agent-deployment processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const NODE_ARGS = (process.env['BENCH_AGENTS_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

interface StreamResult {
  ttftMs: number;
  tokens: number;
  promptTokens: number;
  /** Tokens after the first, per second after the first. */
  decodePerS: number;
}

/** Keep-alive connections for the measured requests. */
const clientPool = new Agent();

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
const decodeRate = (tokens: number, firstAt: number, endAt: number) => (tokens > 1 && endAt > firstAt ? ((tokens - 1) * 1000) / (endAt - firstAt) : 0);

async function json(res: Response, expected: number) {
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${res.url} answered ${res.status} (expected ${expected}): ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** CPU time (user + system) a process has used so far, in ms; with `children`, that of its child processes instead (the llama.cpp worker). */
function cpuMsOf(pid: number, children = false): number {
  try {
    if (children) {
      const pids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
      return pids.reduce((sum, child) => sum + cpuMsOf(child), 0);
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // utime and stime, fields 14 and 15 of stat(5), counted here from the state field (3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/**
 * Streams one chat completion: POSTs `body` with `headers` to `url` and reads the SSE answer,
 * timing its first content token from `started`; usage gives the tokens both sides counted.
 * Through undici's own request API, the lightest HTTP client Node has: the measured overhead is the
 * platform's, not web streams' (fetch costs this VM some 2 ms of CPU more per request).
 */
async function streamCompletion(url: string, headers: Record<string, string>, body: Buffer, started: number): Promise<StreamResult> {
  const res = await clientPool.request({ origin: new URL(url).origin, path: new URL(url).pathname, method: 'POST', headers, body });
  if (res.statusCode !== 200) throw new Error(`the chat completion answered ${res.statusCode}: ${await res.body.text()}`);
  let firstAt = 0;
  let tokens = 0;
  let promptTokens = 0;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!event.startsWith('data: {')) continue;
      const data = JSON.parse(event.slice(6));
      if (data.error) throw new Error(`the stream failed: ${data.error.message}`);
      if (!firstAt && data.choices?.[0]?.delta?.content) firstAt = performance.now();
      if (data.usage) ({ completion_tokens: tokens, prompt_tokens: promptTokens } = data.usage);
    }
  }
  return { ttftMs: firstAt - started, tokens, promptTokens, decodePerS: decodeRate(tokens, firstAt, performance.now()) };
}

/** One way of getting an answer, and the processes whose CPU time it costs besides the model's. */
interface Way {
  name: string;
  stream(): Promise<StreamResult>;
  /** Serving processes to charge CPU time to, by pid. */
  processes?: Record<string, number | { childrenOf: number }>;
}

interface Deployment {
  layout: string;
  /** Where the serving processes run and what they run on. */
  description: string;
  gateway: string;
  admin: string;
  knowledgeBaseId: string;
  /** Served ways besides the gateway one (agent-deployment called directly). */
  extraWays?: (agentName: string, key: string) => Way[];
  processes?: Way['processes'];
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function ready(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${url} was not ready within 60 s`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The staging layout: gateway, agent-deployment and document-ingestion each in a process of their own. */
async function multiProcess(modelsDir: string): Promise<Deployment> {
  const server = process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'];
  if (!server) throw new Error('the multi-process layout needs DATABASE_URL (a Postgres server; a database of its own is created and dropped); BENCH_AGENTS_LAYOUTS=embedded runs without one');
  // Fresh bundles of this checkout, as the images ship them.
  execFileSync(process.execPath, [path.join(ROOT, 'tools/scripts/build-app.mjs'), 'api-gateway'], { cwd: ROOT, stdio: 'ignore' });
  execFileSync(process.execPath, [path.join(ROOT, 'tools/scripts/build-app.mjs'), 'agent-deployment', '--assets', 'libs/agents/src/serving/providers/gguf-worker.mjs:gguf-worker.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const name = `llmp_bench_${randomBytes(4).toString('hex')}`;
  const adminDb = createPgDb({ connectionString: server, poolSize: 1 });
  await adminDb.exec(`create database ${name}`);
  const databaseUrl = new URL(server);
  databaseUrl.pathname = `/${name}`;
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    await adminDb.exec(`drop database if exists ${name} with (force)`);
    await adminDb.exec(`drop database if exists ${name}_ingestion with (force)`);
    await adminDb.close();
  };
  try {
    const secret = randomBytes(32).toString('hex');
    const password = randomBytes(12).toString('base64url');
    const [ingestionPort, agentsPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
    const agentsUrl = `http://127.0.0.1:${agentsPort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const common = { LLMP_DATABASE_URL: databaseUrl.toString(), LLMP_INTERNAL_SECRET: secret, LLMP_LOG_LEVEL: 'warn', LLMP_HOST: '127.0.0.1' };
    execFileSync(process.execPath, [path.join(DIST, 'api-gateway', 'main.cjs'), 'migrate'], { env: { ...process.env, ...common }, stdio: 'ignore' });

    // Staging's ingestion runs on Postgres with pgvector; where this server has it, so does this one, in a database of its own.
    const pgvector = (await adminDb.query<{ n: number }>(`select count(*)::int as n from pg_available_extensions where name = 'vector'`)).rows[0].n > 0;
    const ingestionDatabaseUrl = new URL(server);
    ingestionDatabaseUrl.pathname = `/${name}_ingestion`;
    if (pgvector) await adminDb.exec(`create database ${name}_ingestion`);
    const ingestion = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'lib/ingestion-process.ts')], {
      cwd: ROOT,
      env: { ...process.env, LLMP_INTERNAL_SECRET: secret, LLMP_PORT: String(ingestionPort), LLMP_DATABASE_URL: pgvector ? ingestionDatabaseUrl.toString() : '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(ingestion);
    const ingestionReady = new Promise<{ url: string; knowledgeBaseId: string }>((resolve, reject) => {
      createInterface({ input: ingestion.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
      ingestion.once('exit', (code) => reject(new Error(`the ingestion process exited with ${code} before it was ready`)));
    });
    const start = (app: string, env: Record<string, string>) => {
      const child = spawn(process.execPath, [...NODE_ARGS, path.join(DIST, app, 'main.cjs')], { env: { ...process.env, ...common, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      return child;
    };
    const { url: ingestionUrl, knowledgeBaseId } = await ingestionReady;
    const agents = start('agent-deployment', {
      LLMP_PORT: String(agentsPort),
      LLMP_INGESTION_URL: ingestionUrl,
      LLMP_MODELS_DIR: modelsDir,
      LLMP_AGENTS_CONCURRENCY: String(MAX_N),
      LLMP_AGENTS_QUEUE: String(MAX_N),
      LLMP_AGENTS_QUEUE_TIMEOUT_MS: '120000',
    });
    const gateway = start('api-gateway', { LLMP_PORT: String(gatewayPort), LLMP_INGESTION_URL: ingestionUrl, LLMP_AGENTS_URL: agentsUrl, LLMP_BOOTSTRAP_ADMIN_PASSWORD: password });
    await Promise.all([ready(agentsUrl, agents), ready(gatewayUrl, gateway)]);
    const login = await json(
      await fetch(`${gatewayUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) }),
      200,
    );
    return {
      layout: 'multi-process',
      description: `node dist/apps/{api-gateway,agent-deployment}/main.cjs on PostgreSQL (${databaseUrl.host}, database ${name}), document-ingestion in a third process over ${pgvector ? `the same server with pgvector (database ${name}_ingestion)` : 'PGlite (this server has no pgvector)'}`,
      gateway: gatewayUrl,
      admin: login.token,
      knowledgeBaseId,
      processes: { gateway: gateway.pid!, 'agent-deployment': agents.pid!, ingestion: ingestion.pid!, 'llama.cpp worker': { childrenOf: agents.pid! } },
      extraWays: (agentName, key) => [
        {
          name: 'agent-deployment directly',
          processes: { 'agent-deployment': agents.pid!, ingestion: ingestion.pid!, 'llama.cpp worker': { childrenOf: agents.pid! } },
          async stream() {
            // As the gateway forwards it: the agent key, and its own identity signed over the body's length.
            const body = Buffer.from(JSON.stringify(chatBody(agentName)));
            // The client sets Content-Length from the body itself; the signature covers that value.
            const headers = { 'content-type': 'application/json' };
            const identity = signIdentity(AGENT_KEY_CALLER, requestTarget({ method: 'POST', originalUrl: '/v1/chat/completions', headers: { ...headers, 'content-length': String(body.length) } }), secret);
            const started = performance.now();
            return streamCompletion(`${agentsUrl}/v1/chat/completions`, { ...headers, authorization: `Bearer ${key}`, 'x-llmp-identity': identity }, body, started);
          },
        },
      ],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every service in this process over PGlite, as `npm start` runs them. */
async function embedded(modelsDir: string): Promise<Deployment> {
  const platform = await startPlatform({
    log: createLogger({ name: 'bench', level: 'warn' }),
    port: 0,
    passwordCost: TEST_PASSWORD_COST,
    demoData: true,
    modelsDir,
    agentConcurrency: { concurrency: MAX_N, queueSize: MAX_N, queueTimeoutMs: 120_000 },
  });
  try {
    const login = await json(
      await fetch(`${platform.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: platform.firstAdmin!.password }) }),
      200,
    );
    const admin = login.token as string;
    let kb: { id: string; documents: { total: number; ready: number } } | undefined;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
      const list = await json(await fetch(`${platform.url}/api/ingestion/knowledge-bases`, { headers: { authorization: `Bearer ${admin}` } }), 200);
      kb = list.data.find((k: { name: string }) => k.name === 'Demo');
      if (kb && kb.documents.total > 0 && kb.documents.ready === kb.documents.total) break;
    }
    return {
      layout: 'embedded',
      description: 'every service and this bench client on one thread over PGlite (startPlatform)',
      gateway: platform.url,
      admin,
      knowledgeBaseId: kb!.id,
      stop: () => platform.stop(),
    };
  } catch (error) {
    await platform.stop();
    throw error;
  }
}

const chatBody = (model: string) => ({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: QUESTION }] });

interface Row {
  n: number;
  way: string;
  ttftMs: number;
  /** Each round's median time to first token, in the order the rounds ran. */
  roundTtftMs: number[];
  decodePerS: number;
  aggregatePerS: number;
  tokens: number;
  promptTokens: number;
  cpuMsPerAnswer: Record<string, number>;
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-bench-agents-'));
  const modelFile = path.join(dir, 'bench.gguf');
  await writeTinyGguf(modelFile, { dModel: D_MODEL, nLayers: LAYERS, ffnHidden: D_MODEL * 2, contextLength: 512 });
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: modelFile });
  const context = await model.createContext({ sequences: MAX_N, contextSize: model.trainContextSize, threads: 1 });
  const report: string[] = [];
  try {
    for (const layout of LAYOUTS) {
      const deployment = layout === 'embedded' ? await embedded(dir) : await multiProcess(dir);
      try {
        report.push(...(await measure(deployment)));
      } finally {
        await deployment.stop();
      }
    }
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`agents bench: GGUF llama d=${D_MODEL} layers=${LAYERS} (F32, untrained), ${TOKENS} tokens per answer, ${ROUNDS} rounds per N, one llama.cpp thread with ${MAX_N} sequences, ${os.cpus().length} CPUs`);
  for (const line of report) console.log(line);

  async function measure(deployment: Deployment): Promise<string[]> {
    const { gateway, admin, knowledgeBaseId } = deployment;
    const as = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const post = async (url: string, body: unknown, expected = 201) => json(await fetch(`${gateway}${url}`, { method: 'POST', headers: as, body: JSON.stringify(body) }), expected);
    const agentName = `bench-${randomBytes(3).toString('hex')}`;
    const agent = await post('/api/agents', {
      name: agentName,
      config: { provider: { kind: 'gguf', model: 'bench.gguf' }, systemPrompt: SYSTEM_PROMPT, knowledgeBaseIds: [knowledgeBaseId], retrieval: RETRIEVAL, generation: { temperature: 0, maxTokens: TOKENS } },
    });
    await post(`/api/agents/${agent.id}/publish`, {});
    const key = (await post(`/api/agents/${agent.id}/keys`, { name: 'bench' })).key as string;

    // The prompt the agent builds, built the same way here for the direct path.
    const search = { query: QUESTION, knowledgeBaseIds: [knowledgeBaseId], topK: RETRIEVAL.topK };
    const hits = (await post('/api/ingestion/search', search, 200)).results;
    const passages = fitPassages(hits, RETRIEVAL.maxContextTokens);
    const conversation = [{ role: 'user' as const, content: QUESTION }];
    const parts = transcriptParts(buildPrompt(SYSTEM_PROMPT, passages, conversation));
    const passagesAt = shortenableMessages(SYSTEM_PROMPT, passages, conversation).passages;
    /** The prompt as the agent's worker fits it to the context: the passages give way from their end. */
    const fitted = () => {
      const tokens = parts.map((part) => model.tokenize(part));
      const excess = 1 + tokens.reduce((sum, t) => sum + t.length, 0) - (context.contextSize - TOKENS);
      if (excess > 0 && passagesAt !== null) tokens[passagesAt] = tokens[passagesAt].slice(0, Math.max(0, tokens[passagesAt].length - excess));
      return [model.tokens.bos, ...tokens.flat()].filter((t): t is NonNullable<typeof t> => t !== null && t !== undefined).slice(-(context.contextSize - TOKENS));
    };

    const direct: Way = {
      name: 'direct (node-llama-cpp)',
      async stream() {
        const started = performance.now();
        const sequence = context.getSequence();
        const input = fitted();
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
        return { ttftMs: firstAt - started, tokens, promptTokens: input.length, decodePerS: decodeRate(tokens, firstAt, endAt) };
      },
    };
    const served: Way = {
      name: 'served (gateway)',
      processes: deployment.processes,
      async stream() {
        const started = performance.now();
        return streamCompletion(`${gateway}/v1/chat/completions`, { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, Buffer.from(JSON.stringify(chatBody(agentName))), started);
      },
    };
    const ways = [direct, served, ...(deployment.extraWays?.(agentName, key) ?? [])];

    // Warm every path: the service's llama.cpp process loads the model on its first request.
    for (const way of ways) await way.stream();
    // The retrieval step alone (the ingestion service's search, through the gateway), for the TTFT breakdown.
    const searchMs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await post('/api/ingestion/search', search, 200);
      searchMs.push(performance.now() - started);
    }

    const rows: Row[] = [];
    for (const n of STREAMS) {
      const results = new Map(ways.map((w) => [w, { streams: [] as StreamResult[], roundTtft: [] as number[], aggregate: [] as number[], cpuMs: {} as Record<string, number> }]));
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with another way: whichever runs first meets an idle machine (its llama.cpp
        // process, its services' event loops), so a fixed order would charge that to one way every time.
        const order = ways.map((_, i) => ways[(i + round) % ways.length]);
        for (const way of order) {
          const measured = results.get(way)!;
          const cpuNow = () => Object.fromEntries(Object.entries(way.processes ?? {}).map(([name, p]) => [name, typeof p === 'number' ? cpuMsOf(p) : cpuMsOf(p.childrenOf, true)]));
          const cpuBefore = cpuNow();
          const started = performance.now();
          const streams = await Promise.all(Array.from({ length: n }, () => way.stream()));
          const wallS = (performance.now() - started) / 1000;
          for (const [name, ms] of Object.entries(cpuNow())) measured.cpuMs[name] = (measured.cpuMs[name] ?? 0) + ms - cpuBefore[name];
          measured.streams.push(...streams);
          measured.roundTtft.push(median(streams.map((r) => r.ttftMs)));
          measured.aggregate.push(streams.reduce((sum, r) => sum + r.tokens, 0) / wallS);
        }
      }
      for (const way of ways) {
        const { streams, roundTtft, aggregate, cpuMs } = results.get(way)!;
        rows.push({
          n,
          way: way.name,
          ttftMs: median(streams.map((r) => r.ttftMs)),
          roundTtftMs: roundTtft,
          decodePerS: median(streams.map((r) => r.decodePerS)),
          aggregatePerS: median(aggregate),
          tokens: median(streams.map((r) => r.tokens)),
          promptTokens: median(streams.map((r) => r.promptTokens)),
          cpuMsPerAnswer: Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, ms / (ROUNDS * n)])),
        });
      }
    }

    const lines = [`${deployment.layout}: ${deployment.description}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`];
    for (const n of STREAMS) {
      const [d, ...others] = rows.filter((r) => r.n === n);
      for (const r of others) {
        // The ways take turns within a round, so a served round and the direct one beside it share the machine's
        // state of the moment: the median of their differences is steadier than the difference of two medians.
        const paired = median(r.roundTtftMs.map((ms, i) => ms - d.roundTtftMs[i]));
        const cpu = Object.entries(r.cpuMsPerAnswer).map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ');
        lines.push(
          [
            `  N=${String(n).padStart(2)} ${r.way.padEnd(26)}`,
            `TTFT p50 direct ${d.ttftMs.toFixed(1)} ms, served ${r.ttftMs.toFixed(1)} ms (${r.ttftMs >= d.ttftMs ? '+' : ''}${(r.ttftMs - d.ttftMs).toFixed(1)} ms; paired by round ${paired >= 0 ? '+' : ''}${paired.toFixed(1)} ms)`,
            `decode/stream direct ${d.decodePerS.toFixed(0)}, served ${r.decodePerS.toFixed(0)} tok/s (×${(r.decodePerS / d.decodePerS).toFixed(2)})`,
            `aggregate direct ${d.aggregatePerS.toFixed(0)}, served ${r.aggregatePerS.toFixed(0)} tok/s (×${(r.aggregatePerS / d.aggregatePerS).toFixed(2)})`,
            `tokens ${d.tokens}/${r.tokens}, prompt tokens ${d.promptTokens}/${r.promptTokens}${d.promptTokens === r.promptTokens ? '' : ' (PROMPTS DIFFER)'}`,
            ...(cpu ? [`CPU ms/answer: ${cpu}`] : []),
          ].join(' | '),
        );
      }
    }
    lines.push(`  retrieval alone (POST /api/ingestion/search through the gateway): p50 ${median(searchMs).toFixed(1)} ms`);
    const aggregates = (way: string) => STREAMS.map((n) => `N=${n} ${rows.find((r) => r.n === n && r.way === way)!.aggregatePerS.toFixed(0)}`).join(', ');
    lines.push(
      `  scaling: aggregate tok/s direct ${aggregates(direct.name)}; served ${aggregates(served.name)}. The provider bounds it: one llama.cpp context of ${MAX_N} sequences on one thread decodes concurrent streams in shared batches, so N streams share about one stream's compute (${os.cpus().length} CPUs here, shared with the serving processes in the multi-process layout)`,
    );
    return lines;
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
