import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createAuthService } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { agentKeyReader, createGatewayApp, gatewayMigrations, type ServiceUrls } from './index';

const log = createLogger({ name: 'test', level: 'silent' });
const secret = 'k'.repeat(32);

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bytes: number;
}

/** A real HTTP server standing in for a platform service, recording what reaches it. */
async function anUpstream(behaviour: 'echo' | 'hang' = 'echo') {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', service: 'fake', version: '1', uptimeSeconds: 1, checks: {} }));
      return;
    }
    if (behaviour === 'hang') return;
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bytes });
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('x-upstream', 'yes');
      // Answer with as many bytes as were sent, in chunks, to exercise streaming both ways.
      const chunk = Buffer.alloc(64 * 1024, 7);
      let left = bytes;
      const write = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(chunk.subarray(0, n))) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('gateway proxy', () => {
  let db: Db;
  let token: string;
  let upstream: Awaited<ReturnType<typeof anUpstream>>;

  beforeAll(async () => {
    db = await createPgliteDb();
    await migrate(db, gatewayMigrations);
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST });
    await auth.createUser({ username: 'alice', password: 'alice-password', role: 'manager' });
    token = (await auth.login('alice', 'alice-password')).token;
    upstream = await anUpstream();
  });
  afterAll(async () => {
    await upstream.close();
    await db.close();
  });

  function gateway(services: Partial<ServiceUrls>, proxyTimeoutMs = 5000) {
    const dead = 'http://127.0.0.1:9';
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST });
    return createGatewayApp({
      db,
      log,
      auth,
      internalSecret: secret,
      proxyTimeoutMs,
      services: { ingestion: dead, structuring: dead, training: dead, agents: dead, dashboard: dead, ...services },
    });
  }

  it('streams a large body to the service and back, with a signed identity instead of credentials', async () => {
    const app = gateway({ ingestion: upstream.url });
    const body = Buffer.alloc(5 * 1024 * 1024, 1);
    const res = await request(app)
      .post('/api/ingestion/upload?kb=1')
      .set('authorization', `Bearer ${token}`)
      .set('x-llmp-identity', 'forged-by-client')
      .set('x-request-id', 'req-42')
      .set('content-type', 'application/octet-stream')
      .send(body)
      .buffer(true)
      .parse((r, done) => {
        let n = 0;
        r.on('data', (c: Buffer) => (n += c.length));
        r.on('end', () => done(null, n));
      })
      .expect(200);
    expect(res.body).toBe(body.length);
    expect(res.headers['x-upstream']).toBe('yes');
    const seen = upstream.seen.at(-1)!;
    expect(seen).toMatchObject({ method: 'POST', url: '/api/ingestion/upload?kb=1', bytes: body.length });
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-request-id']).toBe('req-42');
    expect(seen.headers['x-llmp-identity']).toMatch(/^v1\./);
    expect(seen.headers['x-llmp-identity']).not.toBe('forged-by-client');
  });

  it('forwards anonymous calls without any identity, so the service answers 401 itself', async () => {
    const app = gateway({ training: upstream.url });
    await request(app).get('/api/training/jobs').expect(200);
    expect(upstream.seen.at(-1)!.headers['x-llmp-identity']).toBeUndefined();
  });

  it("routes OpenAI's fine-tuning API to training and the rest of /v1 to agents", async () => {
    const agents = await anUpstream();
    try {
      const app = gateway({ training: upstream.url, agents: agents.url });
      await request(app).post('/v1/fine_tuning/jobs').set('authorization', `Bearer ${token}`).send({ model: 'm' }).expect(200);
      expect(upstream.seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/fine_tuning/jobs' });
      await request(app).get('/v1/fine_tuning/jobs/ftjob_1/events?limit=2').set('authorization', `Bearer ${token}`).expect(200);
      expect(upstream.seen.at(-1)).toMatchObject({ url: '/v1/fine_tuning/jobs/ftjob_1/events?limit=2' });
      await request(app).get('/v1/models').set('authorization', `Bearer ${token}`).expect(200);
      expect(agents.seen.map((s) => s.url)).toEqual(['/v1/models']);
      // Its metrics tell the services apart by the prefix that routed them.
      const metrics = (await request(app).get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/llmp_http_requests_total\{method="POST",route="\/v1\/fine_tuning\/\*",status="200",service="api-gateway"\} 1/);
      expect(metrics).toMatch(/llmp_http_requests_total\{method="GET",route="\/v1\/\*",status="200",service="api-gateway"\} 1/);
    } finally {
      await agents.close();
    }
  });

  it('answers 502 with JSON naming the service when it is down', async () => {
    const res = await request(gateway({})).get('/api/datasets/anything').set('authorization', `Bearer ${token}`).expect(502);
    expect(res.body).toMatchObject({
      error: { code: 'upstream_unavailable', message: expect.stringMatching(/^data-structuring is not reachable/), details: { service: 'data-structuring' } },
      requestId: expect.any(String),
    });
  });

  it('answers 504 with JSON when the service does not answer in time', async () => {
    const slow = await anUpstream('hang');
    try {
      const res = await request(gateway({ agents: slow.url }, 300)).get('/v1/models').set('authorization', `Bearer ${token}`).expect(504);
      expect(res.body.error).toMatchObject({ code: 'upstream_timeout', message: 'agent-deployment did not answer within 300 ms' });
    } finally {
      await slow.close();
    }
  });

  it('reports a down service in /healthz with 503 and the others up', async () => {
    const res = await request(gateway({ ingestion: upstream.url })).get('/healthz').expect(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks['document-ingestion'].status).toBe('up');
    expect(res.body.checks['model-training']).toMatchObject({ status: 'down', error: expect.any(String) });
    expect(res.body.checks.database.status).toBe('up');
  });

  describe('agent keys on /v1', () => {
    const agentKey = `llmp_agk_${'a'.repeat(43)}`;

    it('passes an agent key on to agent-deployment with an identity only the gateway can sign', async () => {
      await request(gateway({ agents: upstream.url })).post('/v1/chat/completions').set('authorization', `Bearer ${agentKey}`).send({ model: 'x' }).expect(200);
      const seen = upstream.seen.at(-1)!;
      expect(seen.url).toBe('/v1/chat/completions');
      expect(seen.headers.authorization).toBe(`Bearer ${agentKey}`);
      expect(seen.headers['x-llmp-identity']).toMatch(/^v1\./);
    });

    it('sends an agent key given as x-api-key on as a bearer', async () => {
      await request(gateway({ agents: upstream.url })).get('/v1/models').set('x-api-key', agentKey).expect(200);
      expect(upstream.seen.at(-1)!.headers.authorization).toBe(`Bearer ${agentKey}`);
    });

    it('treats an agent key outside /v1 as an unknown platform credential', async () => {
      const res = await request(gateway({ agents: upstream.url })).get('/api/agents').set('authorization', `Bearer ${agentKey}`).expect(401);
      expect(res.body.error.code).toBe('invalid_token');
    });

    it('still strips platform credentials on /v1', async () => {
      await request(gateway({ agents: upstream.url })).get('/v1/models').set('authorization', `Bearer ${token}`).expect(200);
      expect(upstream.seen.at(-1)!.headers.authorization).toBeUndefined();
    });

    it('never passes an agent key to a /v1 path another service owns by a longer prefix', () => {
      const read = agentKeyReader([
        { name: 'agent-deployment', prefixes: ['/api/agents', '/v1'], url: 'http://127.0.0.1:1' },
        { name: 'model-training', prefixes: ['/api/training', '/v1/fine_tuning'], url: 'http://127.0.0.1:2' },
      ]);
      const req = (path: string) => ({ path, headers: { authorization: `Bearer ${agentKey}` } }) as unknown as Parameters<typeof read>[0];
      expect(read(req('/v1/chat/completions'))).toBe(agentKey);
      expect(read(req('/v1/fine_tuning/jobs'))).toBeUndefined();
      expect(read(req('/v1x'))).toBeUndefined();
    });
  });

  it('refuses a malformed Authorization header with 401', async () => {
    const res = await request(gateway({})).get('/api/auth/me').set('authorization', 'Basic abc').expect(401);
    expect(res.body.error.code).toBe('invalid_authorization');
  });
});
