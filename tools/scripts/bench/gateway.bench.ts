import autocannon, { type Result } from 'autocannon';
import { requestTarget, signIdentity } from '@llmp/auth';
import { createLogger } from '@llmp/core';
import { startPlatform } from '../../../apps/platform/src/platform';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 10);
const PATH = '/api/ingestion/info';

/** `headers` is called for every request: a signed identity is good for one request only. */
function run(url: string, headers: () => Record<string, string>, duration = DURATION_S): Promise<Result> {
  return new Promise((resolve, reject) =>
    autocannon(
      {
        url: url + PATH,
        connections: CONNECTIONS,
        duration,
        requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...headers() } }) }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    ),
  );
}

function row(name: string, r: Result) {
  return { name, 'req/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, errors: r.errors + r.non2xx };
}

async function main() {
  const log = createLogger({ name: 'bench', level: 'silent' });
  const platform = await startPlatform({ log, port: 0 });
  try {
    const login = await fetch(`${platform.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: platform.firstAdmin!.password }),
    });
    const { token, user } = (await login.json()) as { token: string; user: { id: string } };
    const serviceUrl = platform.services['document-ingestion'].server.url;
    const admin = { userId: user.id, username: 'admin', role: 'admin' as const, via: 'token' as const };
    const target = requestTarget({ method: 'GET', originalUrl: PATH, headers: {} });
    // The direct run signs each request as the gateway would, so both sides pay for one HMAC.
    const viaGateway = () => ({ authorization: `Bearer ${token}` });
    const direct = () => ({ 'x-llmp-identity': signIdentity(admin, target, platform.internalSecret) });

    // One short warm-up each, so JIT and connection pools are comparable.
    await run(platform.url, viaGateway, 1);
    await run(serviceUrl, direct, 1);
    const directResult = await run(serviceUrl, direct);
    const gatewayResult = await run(platform.url, viaGateway);

    console.log(`GET ${PATH}, ${CONNECTIONS} connections, ${DURATION_S} s each, embedded platform on 127.0.0.1`);
    console.table([row('service directly', directResult), row('through gateway', gatewayResult)]);
    const ratio = (a: number, b: number) => (b === 0 ? 'n/a' : (a / b).toFixed(2));
    console.log(
      `gateway/direct: throughput ${ratio(gatewayResult.requests.average, directResult.requests.average)}×, ` +
        `p50 ${ratio(gatewayResult.latency.p50, directResult.latency.p50)}×, p99 ${ratio(gatewayResult.latency.p99, directResult.latency.p99)}×`,
    );
    if (gatewayResult.non2xx + directResult.non2xx > 0) process.exitCode = 1;
  } finally {
    await platform.stop();
  }
}

void main();
