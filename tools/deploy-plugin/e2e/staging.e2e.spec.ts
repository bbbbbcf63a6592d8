import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The e2e suite uploads the product's own test documents (real PDF and DOCX built in memory).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { aDocx, aGgufEmbeddingModel, aPdf } from '@llmp/ingestion/testing';
import { SERVICES } from '@llmp/contracts';
import OpenAI from 'openai';
import { findFreePort } from '../src/environment/ports';
import { docker, http, leftovers, nx, nxAsync, probeWhile, root, run, stageFiles, startRegistry, type LocalRegistry, type ProbeAnswer, type StageFiles } from './helpers';

/**
 * The whole staging flow against the real Docker engine: images, a staged environment reached
 * only through nginx on 127.0.0.1, injected failures that must leave the serving release alone,
 * rollback, expiry and reap, teardown. Every step is a real `nx` invocation, as a developer runs it.
 */
const suffix = randomBytes(2).toString('hex');
const ENV = `e2e-${suffix}`;
const SHORT_ENV = `e2e-${suffix}-short`;
const FIRST_ENV = `e2e-${suffix}-first`;
const GGUF_EMBEDDER_FILE = 'e2e-embed.gguf';

function expectOk(r: { status: number | null; output: string }): void {
  if (r.status !== 0) throw new Error(`exit ${r.status}:\n${r.output.slice(-6000)}`);
}

async function tokenOf(env: string, user: 'admin' | 'manager' | 'user'): Promise<string> {
  const { state, credentials } = stageFiles(env);
  const login = await http(state.port, '/api/auth/login', { auth: credentials.basicAuth, body: { username: user, password: credentials.users[user] } });
  if (login.status !== 200) throw new Error(`login as ${user} answered ${login.status}: ${login.text}`);
  return login.json().token;
}

async function knowledgeBaseNames(env: string): Promise<string[]> {
  const { state, credentials } = stageFiles(env);
  const res = await http(state.port, '/api/ingestion/knowledge-bases', { auth: credentials.basicAuth, token: await tokenOf(env, 'manager') });
  expect(res.status).toBe(200);
  return (res.json().data as Array<{ name: string }>).map((kb) => kb.name);
}

/** A faulted re-stage of ENV while a client asks the serving release twice every 200 ms; returns its run and every answer that was not a 200 from that release. */
async function faultedRestage(step: string, { before = stageFiles(ENV), beforeRun = () => undefined }: { before?: StageFiles; beforeRun?: () => void } = {}): Promise<{ status: number | null; output: string; serving: string; failed: ProbeAnswer[]; answers: number }> {
  const { state, credentials } = before;
  const serving = state.active!.id;
  const token = await tokenOf(ENV, 'user');
  beforeRun();
  const { result, answers } = await probeWhile(nxAsync(['run', 'deploy:stage', `--env=${ENV}`, '--build=none', `--failAt=${step}`]), { port: state.port, auth: credentials.basicAuth, token });
  return { ...result, serving, failed: answers.filter((a) => a.status !== 200 || a.release !== serving), answers: answers.length };
}

function volumesOf(env: string): string[] {
  return docker(['volume', 'ls', '--filter', `label=dev.llmp.env=${env}`, '--format', '{{.Name}}']).split('\n').filter(Boolean).sort();
}

beforeAll(() => {
  const info = run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 30_000 });
  if (info.status !== 0) throw new Error(`the e2e suite needs a running Docker engine (tools/scripts/setup-docker.sh):\n${info.output}`);
});

let registry: LocalRegistry | undefined;

afterAll(async () => {
  for (const env of [ENV, SHORT_ENV, FIRST_ENV]) if (leftovers(env).length) nx(['run', 'deploy:teardown', `--env=${env}`], { timeoutMs: 120_000 });
  await registry?.stop();
});

describe('staging', () => {
  it('builds every service image, tagged with the git commit and labelled', () => {
    expectOk(nx(['run-many', '-t', 'docker-build'], { timeoutMs: 20 * 60_000 }));
    const head = run('git', ['rev-parse', 'HEAD']).output.trim();
    for (const service of SERVICES) {
      const labels = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', `llmp/${service}:latest`]));
      const tags = docker(['image', 'ls', `llmp/${service}`, '--format', '{{.Tag}}']).split('\n');
      expect(tags.some((t) => t.startsWith(head.slice(0, 12)))).toBe(true);
      expect(labels['org.opencontainers.image.source']).toBeTruthy();
      expect(labels['org.opencontainers.image.created']).toMatch(/^\d{4}-/);
      expect(labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
      expect(labels['org.opencontainers.image.version']).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}/);
      expect(docker(['image', 'inspect', '--format', '{{.Config.User}}', `llmp/${service}:latest`])).toBe('1000:1000');
    }
  });

  it('leaves nothing behind when a first deploy fails', () => {
    const r = nx(['run', 'deploy:stage', `--env=${FIRST_ENV}`, '--build=none', '--failAt=migrate']);
    expect(r.status).not.toBe(0);
    expect(leftovers(FIRST_ENV)).toEqual([]);
    expect(existsSync(join(root, '.llmp/stage', FIRST_ENV))).toBe(false);
    expect(readFileSync(join(root, 'dist/deploy', FIRST_ENV, 'deployment.log'), 'utf8')).toMatch(/\[step\] migrate: failed[\s\S]*llmp_injected_failure/);
  });

  it('stages a checked, seeded environment reachable only through nginx on 127.0.0.1', async () => {
    expectOk(nx(['run', 'deploy:stage', `--env=${ENV}`, '--build=none']));
    const { state, credentials, summary } = stageFiles(ENV);
    expect(summary.outcome).toBe('deployed');
    expect(summary.url).toBe(`http://127.0.0.1:${state.port}`);
    expect(Date.parse(summary.expiresAt) - Date.now()).toBeGreaterThan(71 * 3600_000);
    expect(Object.keys(summary.images).sort()).toEqual([...SERVICES].sort());
    expect(summary.health.filter((r) => r.status !== 'up')).toEqual([]);

    const published = docker(['ps', '--filter', `label=dev.llmp.env=${ENV}`, '--format', '{{.Names}} {{.Ports}}']).split('\n').filter((l) => l.includes('->'));
    expect(published).toHaveLength(1);
    expect(published[0]).toMatch(new RegExp(`nginx-1 127\\.0\\.0\\.1:${state.port}->80/tcp`));

    expect((await http(state.port, '/healthz')).status).toBe(200);
    expect((await http(state.port, '/api/users')).status).toBe(401);
    expect((await http(state.port, '/metrics', { auth: credentials.basicAuth })).status).toBe(404);
    for (const user of ['admin', 'manager', 'user'] as const) {
      const login = await http(state.port, '/api/auth/login', { auth: credentials.basicAuth, body: { username: user, password: credentials.users[user] } });
      expect(login.status).toBe(200);
      const info = await http(state.port, '/api/datasets/info', { auth: credentials.basicAuth, token: login.json().token });
      expect(info.status).toBe(200);
    }
  });

  interface Answer {
    id: string;
    status: string;
    documents: Array<{ id: string }>;
    results: Array<{ citation: Record<string, unknown> }>;
  }

  it('ingests a real PDF, DOCX, HTML page and Markdown file through nginx and finds each by search', async () => {
    const { state, credentials } = stageFiles(ENV);
    const base = `http://127.0.0.1:${state.port}`;
    const login = await http(state.port, '/api/auth/login', { auth: credentials.basicAuth, body: { username: 'manager', password: credentials.users.manager } });
    // Behind nginx, Authorization carries basic auth; the platform token travels as X-API-Key.
    const headers = {
      authorization: `Basic ${Buffer.from(`${credentials.basicAuth.user}:${credentials.basicAuth.password}`).toString('base64')}`,
      'x-api-key': login.json().token,
    };
    const call = async <T = Answer>(path: string, init: { method?: string; body?: unknown; form?: FormData } = {}) => {
      const res = await fetch(base + path, {
        method: init.method ?? (init.body || init.form ? 'POST' : 'GET'),
        headers: init.body ? { ...headers, 'content-type': 'application/json' } : headers,
        body: init.form ?? (init.body ? JSON.stringify(init.body) : undefined),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, json: (await res.json()) as T };
    };

    const kb = await call('/api/ingestion/knowledge-bases', { body: { name: `e2e ${suffix}` } });
    expect(kb.status).toBe(201);
    const form = new FormData();
    const files: Array<[string, Buffer | string]> = [
      ['handbook.pdf', aPdf({ pages: [['Welcome to the depot.'], ['Forklift licences are renewed every three years.']] })],
      ['policy.docx', aDocx({ title: 'Travel policy', paragraphs: [{ heading: 1, text: 'Travel' }, 'Rail is preferred for trips under four hours.'] })],
      ['canteen.html', '<html><body><main><h1>Canteen</h1><h2>Opening hours</h2><p>The canteen serves lunch from noon until two.</p></main><script>x()</script></body></html>'],
      ['parking.md', '# Parking\n\n## Bicycles\n\nBicycle racks stand behind building C.\n'],
    ];
    for (const [name, content] of files) form.append('file', new Blob([content]), name);
    const upload = await call(`/api/ingestion/knowledge-bases/${kb.json.id}/documents`, { form });
    expect(upload.status).toBe(201);
    const ids = upload.json.documents.map((d) => d.id);
    expect(ids).toHaveLength(4);

    const deadline = Date.now() + 120_000;
    const final = new Map<string, Answer>();
    while (final.size < ids.length && Date.now() < deadline) {
      for (const id of ids.filter((i) => !final.has(i))) {
        const doc = (await call(`/api/ingestion/documents/${id}`)).json;
        if (['ready', 'failed', 'cancelled'].includes(doc.status)) final.set(id, doc);
      }
      if (final.size < ids.length) await new Promise((r) => setTimeout(r, 1000));
    }
    expect([...final.values()].map((d) => d.status)).toEqual(['ready', 'ready', 'ready', 'ready']);

    for (const [query, filename, where] of [
      ['when are forklift licences renewed', 'handbook.pdf', { page: 2 }],
      ['is rail preferred for short trips', 'policy.docx', { heading: 'Travel' }],
      ['canteen lunch opening hours', 'canteen.html', { heading: 'Opening hours' }],
      ['where are the bicycle racks', 'parking.md', { heading: 'Bicycles' }],
    ] as const) {
      const res = await call('/api/ingestion/search', { body: { query, knowledgeBaseIds: [kb.json.id], topK: 5 } });
      expect(res.status).toBe(200);
      const top2 = res.json.results.slice(0, 2).map((r) => r.citation);
      expect(top2).toEqual(expect.arrayContaining([expect.objectContaining({ filename, ...where })]));
    }
  });

  it('serves the seeded demo dataset version, trains a model on it in its container, and serves the demo agent to the official openai client, all through nginx', async () => {
    const { state, credentials } = stageFiles(ENV);
    const base = `http://127.0.0.1:${state.port}`;
    const login = await http(state.port, '/api/auth/login', { auth: credentials.basicAuth, body: { username: 'admin', password: credentials.users.admin } });
    const headers = {
      authorization: `Basic ${Buffer.from(`${credentials.basicAuth.user}:${credentials.basicAuth.password}`).toString('base64')}`,
      'x-api-key': login.json().token,
    };
    const call = async (path: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method: body ? 'POST' : 'GET',
        headers: body ? { ...headers, 'content-type': 'application/json' } : headers,
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, text: await res.text() };
    };

    const datasets = JSON.parse((await call('/api/datasets')).text).data as Array<{ id: string; name: string }>;
    const demo = datasets.find((d) => d.name === 'Demo')!;
    expect(demo).toBeDefined();
    // The seed started the build on the queue; it freezes the first version when it completes.
    let versionId: string | undefined;
    for (const deadline = Date.now() + 120_000; !versionId && Date.now() < deadline; ) {
      const [build] = JSON.parse((await call(`/api/datasets/${demo.id}/builds`)).text).data as Array<{ status: string; progress: { versionId?: string } }>;
      expect(build.status).not.toMatch(/failed|cancelled/);
      versionId = build.progress.versionId;
      if (!versionId) await new Promise((r) => setTimeout(r, 1000));
    }
    const exported = await call(`/api/datasets/versions/${versionId}/export?format=openai-chat`);
    expect(exported.status).toBe(200);
    const lines = exported.text.trim().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string }> });
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines[0].messages.map((m) => m.role)).toContain('assistant');

    // A model trained on that version inside the model-training container, downloadable as GGUF.
    const job = JSON.parse((await call('/api/training/jobs', { datasetVersionId: versionId, model: 'llmp-llama-tiny', hyperparameters: { nEpochs: 1 } })).text);
    expect(job.id).toMatch(/^ftjob_/);
    let trained: { state: string; fineTunedModelId: string | null; error: unknown } = job;
    for (const deadline = Date.now() + 240_000; !['succeeded', 'failed', 'cancelled'].includes(trained.state) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 2000));
      trained = JSON.parse((await call(`/api/training/jobs/${job.id}`)).text);
    }
    expect(trained).toMatchObject({ state: 'succeeded', error: null });
    const gguf = await fetch(`${base}/api/training/models/${trained.fineTunedModelId}/download`, { headers, signal: AbortSignal.timeout(30_000) });
    expect(gguf.status).toBe(200);
    expect(Buffer.from(await gguf.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('GGUF');

    const agents = JSON.parse((await call('/api/agents')).text).data as Array<{ id: string; name: string }>;
    const agent = agents.find((a) => a.name === 'demo')!;
    const key = JSON.parse((await call(`/api/agents/${agent.id}/keys`, { name: 'e2e' })).text).key as string;
    // An OpenAI client sends only its key: /v1 is locked by agent keys, not by nginx's basic auth.
    const client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 30_000 });
    const completion = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'How are passwords stored?' }] });
    expect(completion.choices[0].message.content).toBeTruthy();
    expect((completion as unknown as { citations: unknown[] }).citations.length).toBeGreaterThan(0);
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'How are passwords stored?' }] })) {
      streamed += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(streamed).toBe(completion.choices[0].message.content);
    // Without a key, /v1 is refused by the gateway.
    expect((await fetch(`${base}/v1/models`)).status).toBe(401);

    // The trained model serves an agent of its own: llama.cpp (CPU build) runs inside the agent-deployment container.
    const trainedAgent = JSON.parse(
      (await call('/api/agents', { name: 'trained', config: { provider: { kind: 'gguf', model: trained.fineTunedModelId }, generation: { maxTokens: 8, temperature: 0 } } })).text,
    ) as { id: string };
    expect(trainedAgent.id).toMatch(/^agent_/);
    expect((await call(`/api/agents/${trainedAgent.id}/publish`, {})).status).toBe(201);
    const trainedKey = JSON.parse((await call(`/api/agents/${trainedAgent.id}/keys`, { name: 'e2e-gguf' })).text).key as string;
    const local = new OpenAI({ apiKey: trainedKey, baseURL: `${base}/v1`, maxRetries: 0, timeout: 60_000 });
    const generated = await local.chat.completions.create({ model: 'trained', messages: [{ role: 'user', content: 'How are passwords stored?' }] });
    expect(generated.usage!.completion_tokens).toBeGreaterThan(0);
    expect(generated.choices[0].finish_reason).toMatch(/^(stop|length)$/);
  });

  it('never writes credentials into the log or the summaries', () => {
    const { credentials, log } = stageFiles(ENV);
    const artifacts = [log, JSON.stringify(stageFiles(ENV).summary), run('cat', [`dist/deploy/${ENV}/summary.md`]).output];
    for (const secret of [credentials.basicAuth.password, ...Object.values(credentials.users)]) {
      for (const text of artifacts) expect(text).not.toContain(secret);
    }
  });

  it('seeds idempotently: a second run changes nothing', () => {
    const r = nx(['run', 'deploy:seed', `--env=${ENV}`]);
    expectOk(r);
    expect(r.output).toMatch(/created nothing; unchanged admin, manager, user, demo knowledge base, demo dataset, demo agent/);
  });

  it.each([
    ['health', /start release .*: failed|health: failed/],
    ['seed', /POST \/api\/auth\/login as "admin" answered 401/],
    ['smoke', /injected failure \(failAt=smoke\)/],
  ])('keeps the serving release when the new one fails at %s, logs why, and no request to the serving release fails meanwhile', async (step, cause) => {
    const before = stageFiles(ENV).state;
    const r = await faultedRestage(step);
    expect(r.status).not.toBe(0);
    expect(r.answers).toBeGreaterThan(20);
    expect(r.failed).toEqual([]);
    const { state, summary, log } = stageFiles(ENV);
    expect(summary.outcome).toBe('failed');
    expect(state.active?.id).toBe(before.active?.id);
    expect(log).toMatch(cause);
    const health = await http(state.port, '/healthz');
    expect(health.status).toBe(200);
    expect(health.release).toBe(before.active?.id);
    const releases = docker(['ps', '--filter', `label=dev.llmp.env=${ENV}`, '--format', '{{.Label "dev.llmp.release"}}']).split('\n');
    expect(new Set(releases)).toEqual(new Set(['edge', before.active!.id]));
  });

  it('takes a GGUF embedding model into the data volume of the environment', () => {
    const ingestion = docker(['ps', '--quiet', '--filter', `label=dev.llmp.env=${ENV}`, '--filter', 'label=com.docker.compose.service=document-ingestion']).split('\n')[0];
    const file = join(mkdtempSync(join(tmpdir(), 'llmp-e2e-')), GGUF_EMBEDDER_FILE);
    writeFileSync(file, aGgufEmbeddingModel({ dimension: 32 }), { mode: 0o644 });
    docker(['exec', '--user', '1000', ingestion, 'mkdir', '-p', '/app/data/models']);
    docker(['cp', file, `${ingestion}:/app/data/models/${GGUF_EMBEDDER_FILE}`]);
    expect(docker(['exec', ingestion, 'ls', '/app/data/models'])).toContain(GGUF_EMBEDDER_FILE);
  });

  it('re-stages an environment whose local state is gone: same URL, same credentials, data kept, traffic on the new release', async () => {
    const before = stageFiles(ENV);
    const knowledgeBases = await knowledgeBaseNames(ENV);
    expect(knowledgeBases.length).toBeGreaterThan(0);
    rmSync(join(root, '.llmp/stage', ENV), { recursive: true, force: true });
    // This re-stage also names the GGUF embedding model put into the data volume above.
    expectOk(nx(['run', 'deploy:stage', `--env=${ENV}`, '--build=none'], { env: { LLMP_EMBEDDINGS_GGUF_PATH: `/app/data/models/${GGUF_EMBEDDER_FILE}` } }));
    const after = stageFiles(ENV);
    expect(after.summary.outcome).toBe('deployed');
    expect(after.state.port).toBe(before.state.port);
    expect(after.credentials).toEqual(before.credentials);
    expect(after.state.active!.id).not.toBe(before.state.active!.id);
    expect(after.state.previous?.id).toBe(before.state.active!.id);
    expect((await http(after.state.port, '/healthz')).release).toBe(after.state.active!.id);
    expect(await knowledgeBaseNames(ENV)).toEqual(knowledgeBases);
  });


  it('indexes and searches with that GGUF embedding model, run by llama.cpp inside the ingestion container', async () => {
    const { state, credentials } = stageFiles(ENV);
    const base = `http://127.0.0.1:${state.port}`;
    const login = await http(state.port, '/api/auth/login', { auth: credentials.basicAuth, body: { username: 'manager', password: credentials.users.manager } });
    const headers = {
      authorization: `Basic ${Buffer.from(`${credentials.basicAuth.user}:${credentials.basicAuth.password}`).toString('base64')}`,
      'x-api-key': login.json().token,
    };
    const call = async (path: string, init: { body?: unknown; form?: FormData } = {}) => {
      const res = await fetch(base + path, {
        method: init.body || init.form ? 'POST' : 'GET',
        headers: init.body ? { ...headers, 'content-type': 'application/json' } : headers,
        body: init.form ?? (init.body ? JSON.stringify(init.body) : undefined),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> & { data?: Array<{ name: string }> } };
    };
    const name = `gguf:${GGUF_EMBEDDER_FILE.replace(/\.gguf$/, '')}`;
    expect((await call('/api/ingestion/embedders')).json.data!.map((e) => e.name)).toContain(name);
    const kb = await call('/api/ingestion/knowledge-bases', { body: { name: `gguf ${suffix}`, embedder: { name, dimension: 32 } } });
    expect(kb.status).toBe(201);
    const form = new FormData();
    form.append('file', new Blob(['# Lockers\n\nLockers on the second floor open with the staff badge.\n']), 'lockers.md');
    const upload = await call(`/api/ingestion/knowledge-bases/${kb.json.id}/documents`, { form });
    expect(upload.status).toBe(201);
    const id = (upload.json.documents as Array<{ id: string }>)[0].id;
    let status = '';
    for (const deadline = Date.now() + 120_000; !['ready', 'failed'].includes(status) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 1000));
      status = (await call(`/api/ingestion/documents/${id}`)).json.status as string;
    }
    expect(status).toBe('ready');
    // The model's vectors carry no meaning, but a chunk's own text embeds to that chunk's vector.
    const search = await call('/api/ingestion/search', { body: { query: 'Lockers on the second floor open with the staff badge.', knowledgeBaseIds: [kb.json.id], mode: 'vector', topK: 1 } });
    expect(search.status).toBe(200);
    expect((search.json.results as Array<{ citation: { filename: string } }>)[0].citation.filename).toBe('lockers.md');
  });
  it('rolls back to the previous release on demand', async () => {
    const { state } = stageFiles(ENV);
    expectOk(nx(['run', 'deploy:rollback', `--env=${ENV}`]));
    const after = stageFiles(ENV).state;
    expect(after.active!.id).toBe(state.previous!.id);
    expect(after.previous!.id).toBe(state.active!.id);
    expect((await http(after.port, '/healthz')).release).toBe(state.previous!.id);
  });

  it('keeps the serving release and its data when a re-stage without local state fails at migrate, and no request fails meanwhile', async () => {
    const before = stageFiles(ENV);
    const knowledgeBases = await knowledgeBaseNames(ENV);
    const volumes = volumesOf(ENV);
    const r = await faultedRestage('migrate', { before, beforeRun: () => rmSync(join(root, '.llmp/stage', ENV), { recursive: true, force: true }) });
    expect(r.status).not.toBe(0);
    expect(r.output).not.toMatch(/Nothing was left running/);
    expect(r.answers).toBeGreaterThan(10);
    expect(r.failed).toEqual([]);
    expect(r.serving).toBe(before.state.active!.id);
    const after = stageFiles(ENV);
    expect(after.log).toMatch(/llmp_injected_failure/);
    expect(after.state.active!.id).toBe(before.state.active!.id);
    expect(after.credentials).toEqual(before.credentials);
    expect(volumesOf(ENV)).toEqual(volumes);
    expect((await http(after.state.port, '/healthz')).release).toBe(before.state.active!.id);
    expect(await knowledgeBaseNames(ENV)).toEqual(knowledgeBases);
  });

  it('pushes SHA-tagged images to a registry by digest, idempotently', async () => {
    registry = await startRegistry(await findFreePort());
    expectOk(nx(['run-many', '-t', 'docker-build'], { env: { LLMP_REGISTRY: registry.address }, timeoutMs: 20 * 60_000 }));
    const pushed = Object.fromEntries(SERVICES.map((service) => [service, JSON.parse(run('cat', [`dist/docker/images/${service}.json`]).output) as { image: string; pushed?: string }]));
    for (const service of SERVICES) {
      const { image, pushed: ref } = pushed[service];
      const tag = image.split(':')[1];
      expect(ref).toMatch(new RegExp(`^${registry.address.replace(/\./g, '\\.')}/llmp/${service}:${tag}@sha256:[0-9a-f]{64}$`));
      const tags = await http(Number(registry.address.split(':')[1]), `/v2/llmp/${service}/tags/list`);
      expect(tags.json().tags).toContain(tag);
    }
    expectOk(nx(['run', 'api-gateway:docker-build'], { env: { LLMP_REGISTRY: registry.address } }));
    expect(JSON.parse(run('cat', ['dist/docker/images/api-gateway.json']).output).pushed).toBe(pushed['api-gateway'].pushed);
    // Only the registry can supply these references now: the stage below must pull them.
    for (const service of SERVICES) docker(['image', 'rm', pushed[service].pushed!.split('@')[0]]);
  });

  it('stages from the registry, answers 410 once expired, and reap removes expired environments only', async () => {
    expect(registry).toBeDefined();
    // The lifetime counts from the switch; it must cover what the stage may take (150 s + 60 s of health checks).
    expectOk(nx(['run', 'deploy:stage', `--env=${SHORT_ENV}`, '--build=none', `--registry=${registry!.address}`, '--ttlHours=0.06', '--waitTimeoutS=150', '--seed=false', '--smoke=false']));
    const { state: short, summary, log } = stageFiles(SHORT_ENV);
    expect(log).toMatch(new RegExp(`docker pull --quiet ${registry!.address.replace(/\./g, '\\.')}/llmp/api-gateway:`));
    for (const service of SERVICES) expect(summary.images[service]).toMatch(new RegExp(`^${registry!.address.replace(/\./g, '\\.')}/llmp/${service}:.+@sha256:[0-9a-f]{64}$`));
    // docker ps names the image by tag; the image it runs is the one the digest designates
    const container = docker(['ps', '--quiet', '--filter', `label=dev.llmp.env=${SHORT_ENV}`, '--filter', 'label=com.docker.compose.service=api-gateway']);
    expect(docker(['inspect', '--format', '{{.Image}}', container])).toBe(docker(['image', 'inspect', '--format', '{{.Id}}', summary.images['api-gateway']]));
    expect((await http(short.port, '/healthz')).status).toBe(200);

    const wait = Date.parse(short.expiresAt) - Date.now() + 2000;
    expect(wait).toBeGreaterThan(100_000);
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 240_000)));
    expect((await http(short.port, '/healthz')).status).toBe(410);

    // Its containers were stamped with the stage's start + lifetime + budget (210 s), so that no reap removes it mid-stage.
    expectOk(nx(['run', 'deploy:reap', `--now=${new Date(Date.now() + 210_000).toISOString()}`]));
    expect(leftovers(SHORT_ENV)).toEqual([]);
    expect(leftovers(ENV).length).toBeGreaterThan(0);
    expect((await http(stageFiles(ENV).state.port, '/healthz')).status).toBe(200);
  });

  it('tears down without leaving a container, network or volume', () => {
    expectOk(nx(['run', 'deploy:teardown', `--env=${ENV}`]));
    expect(leftovers(ENV)).toEqual([]);
  });
});
