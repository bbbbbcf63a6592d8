import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { edgeFetch, edgeHeaders, retry } from './edge-http';

describe('edgeHeaders', () => {
  const target = { baseUrl: 'http://127.0.0.1:1', basicAuth: { user: 'qa', password: 'qa123' }, release: 'r1' };

  it('sends basic auth to nginx, the platform token as X-API-Key and the release to preview', () => {
    expect(edgeHeaders(target, { path: '/api/users', token: 'sess_x' })).toEqual({
      accept: 'application/json',
      authorization: `Basic ${Buffer.from('qa:qa123').toString('base64')}`,
      'x-api-key': 'sess_x',
      'x-llmp-release': 'r1',
    });
  });

  it('can leave basic auth out', () => {
    expect(edgeHeaders(target, { path: '/healthz', basicAuth: false })).not.toHaveProperty('authorization');
  });
});

describe('retry', () => {
  it('returns the first success', async () => {
    let calls = 0;
    await expect(retry(async () => (++calls < 3 ? Promise.reject(new Error('no')) : 'yes'), { attempts: 5, intervalMs: 1, timeoutMs: 1000 })).resolves.toBe('yes');
    expect(calls).toBe(3);
  });

  it('gives up after the attempt count with the last error', async () => {
    let calls = 0;
    await expect(retry(async () => Promise.reject(new Error(`fail ${++calls}`)), { attempts: 3, intervalMs: 1, timeoutMs: 1000 })).rejects.toThrow('fail 3');
  });

  it('gives up when the next wait would pass the deadline', async () => {
    let calls = 0;
    await expect(retry(async () => Promise.reject(new Error(`fail ${++calls}`)), { attempts: 100, intervalMs: 50, timeoutMs: 120 })).rejects.toThrow(/fail [1-3]$/);
  });
});

describe('edgeFetch', () => {
  it('sends JSON on a fresh connection and parses JSON or plain-text answers', async () => {
    const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/text') return void res.writeHead(410, { 'x-llmp-release': 'r1' }).end('expired\n');
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const created = await edgeFetch<{ ok: boolean }>({ baseUrl, basicAuth: { user: 'qa', password: 'qa123' } }, { method: 'POST', path: '/api/users', body: { username: 'x' }, token: 't' });
      expect(created).toMatchObject({ status: 201, body: { ok: true } });
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/users', body: '{"username":"x"}' });
      expect(seen[0].headers).toMatchObject({ connection: 'close', 'x-api-key': 't', 'content-type': 'application/json' });
      const text = await edgeFetch({ baseUrl }, { path: '/text' });
      expect([text.status, text.body, text.headers.get('x-llmp-release')]).toEqual([410, 'expired\n', 'r1']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('fails with the path when nothing answers in time', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await expect(edgeFetch({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, { path: '/healthz', timeoutMs: 100 })).rejects.toThrow('GET /healthz: no answer within 100 ms');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
