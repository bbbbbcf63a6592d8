import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { createIdentitySigner, requestTarget } from '@llmp/auth';
import { createLogger } from '@llmp/core';
import { createPgDb } from '@llmp/db';
import { startPlatform } from '../../../apps/platform/src/platform';
import { pacedLoad } from './lib/paced-load';
import { percentile } from './lib/stats';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5);
/** Direct and gateway runs alternate this many times, so load from elsewhere on the machine falls on both alike. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);
/** Requests a second of the latency runs: well under every way's saturation, so their latency is the hops', not a queue's. */
const LATENCY_RATE = Number(process.env['BENCH_LATENCY_RATE'] ?? 400);
const LATENCY_S = Number(process.env['BENCH_LATENCY_S'] ?? 3);
/** Built apps to run as separate processes (`npx nx run-many -t build -p api-gateway data-structuring`). */
const DIST = path.resolve(process.env['BENCH_DIST_DIR'] ?? 'dist/apps');
/** Extra node arguments for the gateway process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const GATEWAY_NODE_ARGS = (process.env['BENCH_GATEWAY_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
const EMBEDDED_PATH = '/api/ingestion/info';
// document-ingestion needs pgvector, which the host's Postgres lacks; data-structuring
// answers the same service-shell route (`GET /api/<area>/info`: identity check, one query).
const SEPARATE_PATH = '/api/datasets/info';
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** `headers` is called for every request: a signed identity is good for one request only. */
function load(url: string, headers: () => Record<string, string>, duration = DURATION_S): Promise<Result> {
  return new Promise((resolve, reject) =>
    autocannon(
      { url, connections: CONNECTIONS, duration, requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...headers() } }) }] },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
}

/** CPU time (user + system) a process has used so far, in microseconds; null where /proc cannot tell. */
function cpuMicros(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return null;
  }
}

interface Figures {
  /** Requests per second over every round together. */
  reqPerSec: number;
  /** The median of the rounds' percentiles. */
  p50: number;
  p99: number;
  failures: number;
  /** CPU microseconds per request of each watched process. */
  cpu: Record<string, number>;
  /** Latency at LATENCY_RATE requests a second (an open loop), in ms, over every round's requests together. */
  paced: { p50: number; p99: number; requests: number; failures: number };
}

/** Each way of reaching the service, by name: `direct`, `gateway` and, in the multi-process layout, `bare proxy`. */
type Pair = Record<string, Figures> & { direct: Figures; gateway: Figures };

interface Target {
  url: string;
  headers: () => Record<string, string>;
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

/** Runs the load `ROUNDS` times and sums it up, with the CPU each watched process spent on it. */
class Side {
  private readonly results: Result[] = [];
  private readonly cpuUsed: Record<string, number> = {};
  private readonly latencies: number[] = [];
  private pacedFailures = 0;

  constructor(
    private readonly url: string,
    private readonly headers: () => Record<string, string>,
    private readonly watched: Record<string, number | undefined>,
  ) {}

  async round() {
    const before = Object.fromEntries(Object.entries(this.watched).map(([name, pid]) => [name, cpuMicros(pid)]));
    this.results.push(await load(this.url, this.headers));
    for (const [name, pid] of Object.entries(this.watched)) {
      const [start, end] = [before[name], cpuMicros(pid)];
      if (start !== null && end !== null) this.cpuUsed[name] = (this.cpuUsed[name] ?? 0) + end - start;
    }
  }

  /** One round at a fixed rate, for latency. */
  async pacedRound() {
    const result = await pacedLoad({ url: this.url, headers: this.headers, rate: LATENCY_RATE, seconds: LATENCY_S });
    this.latencies.push(...result.latencies);
    this.pacedFailures += result.failures + result.unsent;
  }

  figures(): Figures {
    const latencies = [...this.latencies].sort((a, b) => a - b);
    const requests = this.results.reduce((n, r) => n + r.requests.total, 0);
    const seconds = this.results.reduce((n, r) => n + r.duration, 0);
    return {
      reqPerSec: requests / seconds,
      p50: median(this.results.map((r) => r.latency.p50)),
      p99: median(this.results.map((r) => r.latency.p99)),
      failures: this.results.reduce((n, r) => n + r.errors + r.non2xx, 0),
      cpu: Object.fromEntries(Object.entries(this.cpuUsed).map(([name, micros]) => [name, requests ? micros / requests : 0])),
      paced: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), requests: latencies.length, failures: this.pacedFailures },
    };
  }
}

/** Warms every way in, then measures them in turn, round after round: at saturation, then at a fixed rate. */
async function measure(targets: Record<string, Target> & { direct: Target; gateway: Target }, watched: Record<string, number | undefined> = {}): Promise<Pair> {
  for (const target of Object.values(targets)) await load(target.url, target.headers, 1);
  const sides = Object.entries(targets).map(([name, target]) => [name, new Side(target.url, target.headers, watched)] as const);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [, side] of sides) await side.round();
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [, side] of sides) await side.pacedRound();
  }
  return Object.fromEntries(sides.map(([name, side]) => [name, side.figures()])) as Pair;
}

async function login(gatewayUrl: string, password: string) {
  const res = await fetch(`${gatewayUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { token: string; user: { id: string } };
}

function signerFor(secret: string, userId: string, urlPath: string) {
  const signer = createIdentitySigner(secret);
  const admin = { userId, username: 'admin', role: 'admin' as const, via: 'token' as const };
  const target = requestTarget({ method: 'GET', originalUrl: urlPath, headers: {} });
  // The direct run signs each request as the gateway would, so both sides pay for one HMAC.
  return () => ({ 'x-llmp-identity': signer.sign(admin, target) });
}

/** Every service in one process over PGlite, autocannon on the same thread. */
async function embedded(): Promise<Pair> {
  const platform = await startPlatform({ log: createLogger({ name: 'bench', level: 'silent' }), port: 0 });
  try {
    const { token, user } = await login(platform.url, platform.firstAdmin!.password);
    const serviceUrl = platform.services['document-ingestion'].server.url;
    return await measure({
      direct: { url: serviceUrl + EMBEDDED_PATH, headers: signerFor(platform.internalSecret, user.id, EMBEDDED_PATH) },
      gateway: { url: platform.url + EMBEDDED_PATH, headers: () => ({ authorization: `Bearer ${token}` }) },
    });
  } finally {
    await platform.stop();
  }
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

interface Database {
  url: string;
  description: string;
  stop(): Promise<void>;
}

/** A throwaway Postgres 15 cluster of the host's own binaries on a free loopback port; Postgres refuses to run as root. */
async function temporaryCluster(): Promise<Database> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmp-bench-pg-'));
  const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asPostgres.length) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
    chownSync(dir, id('-u'), id('-g'));
    chmodSync(dir, 0o700);
  }
  const port = await freePort();
  const run = (command: string, args: string[]) => {
    const [file, ...rest] = [...asPostgres, path.join(PG_BIN, command), ...args];
    execFileSync(file, rest, { stdio: 'ignore' });
  };
  run('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
  run('pg_ctl', ['-D', path.join(dir, 'data'), '-l', path.join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    description: `a temporary PostgreSQL 15 cluster (${PG_BIN}, fsync off) on 127.0.0.1:${port}`,
    async stop() {
      run('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** DATABASE_URL's server when set (a database of its own, dropped after), else a temporary cluster. */
async function benchDatabase(): Promise<Database> {
  const server = process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'];
  const cluster = server ? undefined : await temporaryCluster();
  const base = server ?? cluster!.url;
  const name = `llmp_bench_${randomBytes(4).toString('hex')}`;
  const admin = createPgDb({ connectionString: base, poolSize: 1 });
  await admin.exec(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const { rows } = await admin.query<{ version: string }>("select current_setting('server_version') as version");
  return {
    url: url.toString(),
    description: `${cluster ? cluster.description : `DATABASE_URL's server (${new URL(base).host})`}, PostgreSQL ${rows[0].version}, database ${name}`,
    async stop() {
      await admin.exec(`drop database if exists ${name} with (force)`);
      await admin.close();
      await cluster?.stop();
    },
  };
}

function startApp(app: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, path.join(DIST, app, 'main.cjs')], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.once('exit', (code, signal) => {
    if (code && !signal) process.stderr.write(`${app} exited with code ${code}\n`);
  });
  return child;
}

async function ready(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not ready within 30 s`);
}

function stopApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The staging layout: the service and the gateway each their own process, on one real Postgres; autocannon in this third process. */
async function separateProcesses(): Promise<{ pair: Pair; database: string }> {
  for (const app of ['api-gateway', 'data-structuring']) {
    if (!existsSync(path.join(DIST, app, 'main.cjs'))) throw new Error(`${path.join(DIST, app, 'main.cjs')} is missing; run npx nx run-many -t build -p api-gateway data-structuring`);
  }
  const database = await benchDatabase();
  const children: ChildProcess[] = [];
  try {
    const secret = randomBytes(32).toString('hex');
    const password = randomBytes(12).toString('base64url');
    const [servicePort, gatewayPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
    const serviceUrl = `http://127.0.0.1:${servicePort}`;
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    // Both at warn: per-request access logs would cost each side the same and measure pino, not the gateway.
    const common = { LLMP_DATABASE_URL: database.url, LLMP_INTERNAL_SECRET: secret, LLMP_LOG_LEVEL: 'warn', LLMP_HOST: '127.0.0.1' };
    execFileSync(process.execPath, [path.join(DIST, 'api-gateway', 'main.cjs'), 'migrate'], { env: { ...process.env, ...common }, stdio: 'ignore' });
    const service = startApp('data-structuring', { ...common, LLMP_PORT: String(servicePort) });
    children.push(service);
    const gateway = startApp(
      'api-gateway',
      { ...common, LLMP_PORT: String(gatewayPort), LLMP_STRUCTURING_URL: serviceUrl, LLMP_BOOTSTRAP_ADMIN_PASSWORD: password },
      GATEWAY_NODE_ARGS,
    );
    children.push(gateway);
    const proxy = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'lib/bare-proxy.ts'), String(proxyPort), serviceUrl], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(proxy);
    await Promise.all([ready(serviceUrl, service), ready(gatewayUrl, gateway), ready(proxyUrl, proxy)]);
    const { token, user } = await login(gatewayUrl, password);
    const signed = signerFor(secret, user.id, SEPARATE_PATH);
    const pair = await measure(
      {
        direct: { url: serviceUrl + SEPARATE_PATH, headers: signed },
        'bare proxy': { url: proxyUrl + SEPARATE_PATH, headers: signed },
        gateway: { url: gatewayUrl + SEPARATE_PATH, headers: () => ({ authorization: `Bearer ${token}` }) },
      },
      { service: service.pid, gateway: gateway.pid, 'bare proxy': proxy.pid, bench: process.pid },
    );
    return { pair, database: database.description };
  } finally {
    await Promise.all(children.map(stopApp));
    await database.stop();
  }
}

const WAYS: Record<string, string> = { direct: 'service directly', 'bare proxy': 'through a bare proxy', gateway: 'through gateway' };

function rows(layout: string, pair: Pair) {
  const cpu = (f: Figures, name: string) => (f.cpu[name] === undefined ? '' : Math.round(f.cpu[name]));
  const row = (name: string, f: Figures) => ({
    layout,
    name,
    'req/s': Math.round(f.reqPerSec),
    'p50 ms': f.p50,
    'p99 ms': f.p99,
    errors: f.failures,
    [`p50 ms at ${LATENCY_RATE}/s`]: f.paced.p50.toFixed(2),
    [`p99 ms at ${LATENCY_RATE}/s`]: f.paced.p99.toFixed(2),
    'errors at rate': f.paced.failures,
    'gateway CPU µs/req': cpu(f, 'gateway'),
    'proxy CPU µs/req': cpu(f, 'bare proxy'),
    'service CPU µs/req': cpu(f, 'service'),
    'bench CPU µs/req': cpu(f, 'bench'),
  });
  return Object.entries(pair).map(([name, figures]) => row(WAYS[name] ?? name, figures));
}

const signed = (ms: number, digits: number) => `${ms < 0 ? '−' : '+'}${Math.abs(ms).toFixed(digits)}`;

function ratio(layout: string, over: string, a: Figures, b: Figures): string {
  const throughput = b.reqPerSec === 0 ? 'n/a' : (a.reqPerSec / b.reqPerSec).toFixed(2);
  return (
    `${layout}: ${over} throughput ${throughput}×, at saturation p50 ${signed(a.p50 - b.p50, 1)} ms, p99 ${signed(a.p99 - b.p99, 1)} ms; ` +
    `at ${LATENCY_RATE} req/s p50 ${signed(a.paced.p50 - b.paced.p50, 2)} ms, p99 ${signed(a.paced.p99 - b.paced.p99, 2)} ms`
  );
}

function ratios(layout: string, pair: Pair): string[] {
  const lines = [ratio(layout, 'gateway/direct', pair.gateway, pair.direct)];
  const bare = pair['bare proxy'];
  if (bare) lines.push(ratio(layout, 'bare proxy/direct', bare, pair.direct), ratio(layout, 'gateway/bare proxy', pair.gateway, bare));
  return lines;
}

async function main() {
  const separate = await separateProcesses();
  const embeddedPair = await embedded();
  console.log(`${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s directly then through the gateway after a 1 s warm-up each (p50/p99: the rounds' median), on 127.0.0.1, ${os.cpus().length} CPUs`);
  console.log(
    `latency at a fixed rate: ${ROUNDS} rounds of ${LATENCY_S} s at ${LATENCY_RATE} requests a second each way, an open loop timed from each request's planned start (p50/p99 over all rounds); ` +
      `at saturation a closed loop's latency is its connections over its throughput, so only these say what a call pays for the hop`,
  );
  console.log(`multi-process: node ${path.relative(process.cwd(), DIST)}/{data-structuring,api-gateway}/main.cjs, GET ${SEPARATE_PATH}, autocannon in the bench process; database: ${separate.database}`);
  console.log(`embedded: every service in one process over PGlite, GET ${EMBEDDED_PATH}, autocannon on the same thread`);
  console.table([...rows('multi-process', separate.pair), ...rows('embedded', embeddedPair)]);
  for (const line of [...ratios('multi-process', separate.pair), ...ratios('embedded', embeddedPair)]) console.log(line);
  const failures = [separate.pair, embeddedPair].reduce((n, p) => n + Object.values(p).reduce((sum, f) => sum + f.failures + f.paced.failures, 0), 0);
  if (failures > 0) process.exitCode = 1;
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
