import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthRows } from './health';
import { seed } from './seed';
import { backoffMs, deadlineIn, edgeCall } from './staged-api';

describe('healthRows', () => {
  it('flattens the gateway health into rows, nested checks as service/check', () => {
    const body = {
      status: 'degraded',
      service: 'api-gateway',
      checks: {
        database: { status: 'up', latencyMs: 2 },
        'document-ingestion': { status: 'down', latencyMs: 2000, error: 'no answer within 2000 ms', checks: { database: { status: 'down', latencyMs: 1 } } },
      },
    };
    expect(healthRows(body, 503)).toEqual([
      { component: 'api-gateway', status: 'down', detail: 'HTTP 503' },
      { component: 'database', status: 'up', latencyMs: 2 },
      { component: 'document-ingestion', status: 'down', latencyMs: 2000, detail: 'no answer within 2000 ms' },
      { component: 'document-ingestion/database', status: 'down', latencyMs: 1 },
    ]);
  });

  it('reports a plain-text nginx answer (no release yet, expired) as the gateway being down', () => {
    expect(healthRows('no release of pr-1 is serving yet\n', 503)).toEqual([{ component: 'api-gateway', status: 'down', detail: 'HTTP 503: no release of pr-1 is serving yet' }]);
  });
});

describe('seed against a gateway that is slow to answer', () => {
  const credentials = { basicAuth: { user: 'qa', password: 'qa' }, users: { admin: 'adm', manager: 'man', user: 'usr' }, postgresPassword: 'pg', internalSecret: 'i'.repeat(32) };
  let server: Server;
  let baseUrl: string;
  let logins = 0;
  let demoAgentBodies: string[] = [];
  let loginDelayMs = 0;
  let loginStatus = 200;
  const timers: NodeJS.Timeout[] = [];

  beforeEach(async () => {
    logins = 0;
    demoAgentBodies = [];
    server = createServer((req, res) => {
      if (req.url === '/api/auth/login') {
        logins++;
        // the first login of a fresh release hashes with scrypt on a loaded host: it outlasts one attempt
        const delay = logins === 1 ? loginDelayMs : 0;
        timers.push(setTimeout(() => {
          res.writeHead(loginStatus, { 'content-type': 'application/json' });
          res.end(JSON.stringify(loginStatus === 200 ? { token: 'sess_1' } : { error: { code: 'unauthorized' } }));
        }, delay));
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/api/agents/demo') demoAgentBodies.push(body);
        res.writeHead(req.url === '/api/users' ? 409 : 200, { 'content-type': 'application/json' });
        res.end(req.url === '/api/ingestion/demo' ? JSON.stringify({ knowledgeBase: { id: 'kb_demo1' }, created: false }) : '{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    timers.splice(0).forEach(clearTimeout);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('retries a login that timed out and succeeds within the deadline', async () => {
    loginDelayMs = 1500;
    loginStatus = 200;
    const started = Date.now();
    const result = await seed({ baseUrl, basicAuth: credentials.basicAuth }, credentials, { deadlineMs: 1200 + 8000, attemptTimeoutMs: 1000 });
    expect(logins).toBe(2);
    expect(result.unchanged).toEqual(['admin', 'manager', 'user', 'demo knowledge base', 'demo dataset', 'demo agent']);
    expect(demoAgentBodies).toEqual([JSON.stringify({ knowledgeBaseId: 'kb_demo1' })]);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('says which call timed out when the deadline passes', async () => {
    loginDelayMs = 60_000;
    await expect(edgeCall({ baseUrl }, { method: 'POST', path: '/api/auth/login', body: {}, timeoutMs: 1000 }, deadlineIn(1500))).rejects.toThrow(/^POST \/api\/auth\/login: no answer within 1000 ms \(\d attempts?, deadline passed\)/);
  });

  it('does not retry a wrong password, and does not advise a setting that changes nothing', async () => {
    loginStatus = 401;
    loginDelayMs = 0;
    const error = await seed({ baseUrl }, credentials, { deadlineMs: 5000 }).catch((e: Error) => e);
    expect(logins).toBe(1);
    expect((error as Error).message).toMatch(/answered 401/);
    expect((error as Error).message).toMatch(/deploy:status --showCredentials/);
    expect((error as Error).message).not.toMatch(/or set LLMP_SEED_ADMIN_PASSWORD/);
    loginStatus = 200;
  });
});

describe('backoffMs', () => {
  it('doubles from half a second up to five seconds', () => {
    expect([1, 2, 3, 4, 5, 6].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
  });
});
