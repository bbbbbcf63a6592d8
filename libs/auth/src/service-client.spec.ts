import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@llmp/core';
import { createHttpApp, listen, route, type RunningServer } from '@llmp/http';
import { internalAuthenticator } from './internal-auth';
import { createServiceClient, serviceIdentity } from './service-client';

const log = createLogger({ name: 'test', level: 'silent' });
const secret = 's'.repeat(32);
const alice = { userId: 'usr_1', username: 'alice', role: 'user' as const, via: 'token' as const };

describe('calls between services', () => {
  let callee: RunningServer;

  beforeAll(async () => {
    const app = createHttpApp({
      service: 'callee',
      log,
      authenticate: internalAuthenticator(secret),
      routes: [
        route({ method: 'get', path: '/api/things', tag: 'things', summary: 'Who', access: 'user', handle: ({ identity, req }) => ({ identity, q: req.query.q }) }),
        route({ method: 'post', path: '/api/things', tag: 'things', summary: 'Echo', access: 'manager', handle: ({ identity, req }) => ({ who: identity!.username, body: req.body }) }),
        route({ method: 'get', path: '/api/slow', tag: 'things', summary: 'Slow', access: 'user', handle: () => new Promise((resolve) => setTimeout(() => resolve({ late: true }), 2000)) }),
        route({
          method: 'get',
          path: '/api/text',
          tag: 'things',
          summary: 'Not JSON',
          access: 'user',
          handle: ({ res }) => {
            res.type('text/plain').send('plain words');
            return undefined;
          },
        }),
      ],
    });
    callee = await listen(app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => callee.close(1000));

  it('carries the user a service acts for, and names the calling service', async () => {
    const client = createServiceClient({ secret, service: 'data-structuring', baseUrl: () => callee.url });
    const res = await client.request(alice, { path: '/api/things?q=%C3%A9t%C3%A9' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ identity: { ...alice, via: 'service', service: 'data-structuring' }, q: 'été' });
  });

  it('signs JSON bodies for their exact length, and the callee applies the role it carries', async () => {
    const client = createServiceClient({ secret, service: 'model-training', baseUrl: callee.url });
    const asAlice = await client.request(alice, { method: 'POST', path: '/api/things', json: { n: 'ü'.repeat(5) } });
    expect(asAlice.status).toBe(403);
    const asPlatform = await client.request(serviceIdentity('model-training'), { method: 'POST', path: '/api/things', json: { n: 'ü'.repeat(5) } });
    expect(asPlatform.status).toBe(200);
    expect(await asPlatform.json()).toEqual({ who: 'model-training', body: { n: 'üüüüü' } });
  });

  it('is refused when it signs with another secret', async () => {
    const client = createServiceClient({ secret: 'x'.repeat(32), service: 'agent-deployment', baseUrl: callee.url });
    const res = await client.request(alice, { path: '/api/things' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_identity');
  });

  it('refuses paths that would leave the callee', async () => {
    const client = createServiceClient({ secret, service: 'agent-deployment', baseUrl: callee.url });
    await expect(client.request(alice, { path: '//127.0.0.1:9/x' })).rejects.toThrow('service path must be absolute on the callee');
  });

  describe('answers read whole as JSON', () => {
    it('signs them like any call: the identity and body reach the callee, whose refusals come back as answers', async () => {
      const client = createServiceClient({ secret, service: 'agent-deployment', baseUrl: callee.url });
      expect(await client.json(alice, { path: '/api/things?q=%C3%A9t%C3%A9' })).toEqual({
        status: 200,
        body: { identity: { ...alice, via: 'service', service: 'agent-deployment' }, q: 'été' },
      });
      expect((await client.json(alice, { method: 'POST', path: '/api/things', json: { n: 'ü'.repeat(5) } })).status).toBe(403);
      expect(await client.json(serviceIdentity('agent-deployment'), { method: 'POST', path: '/api/things', json: { n: 'ü'.repeat(5) } })).toEqual({
        status: 200,
        body: { who: 'agent-deployment', body: { n: 'üüüüü' } },
      });
      const forged = createServiceClient({ secret: 'x'.repeat(32), service: 'agent-deployment', baseUrl: callee.url });
      const refused = await forged.json<{ error: { code: string } }>(alice, { path: '/api/things' });
      expect(refused.status).toBe(401);
      expect(refused.body!.error.code).toBe('invalid_identity');
    });

    it('gives a body that is not JSON as null, and a callee that does not answer in time as a TimeoutError', async () => {
      const client = createServiceClient({ secret, service: 'agent-deployment', baseUrl: callee.url, timeoutMs: 300 });
      expect(await client.json(alice, { path: '/api/text' })).toEqual({ status: 200, body: null });
      const started = Date.now();
      const error = await client.json(alice, { path: '/api/slow' }).catch((e: Error) => e);
      expect(error).toMatchObject({ name: 'TimeoutError', message: 'agent-deployment gave up on GET /api/slow after 300 ms' });
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('gives up on a callee that trickles its answer past the deadline', async () => {
      const trickle = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        const drip = setInterval(() => res.write('0,'), 50);
        res.once('close', () => clearInterval(drip));
      });
      await new Promise<void>((resolve) => trickle.listen(0, '127.0.0.1', resolve));
      try {
        const client = createServiceClient({ secret, service: 'agent-deployment', baseUrl: `http://127.0.0.1:${(trickle.address() as AddressInfo).port}`, timeoutMs: 300 });
        const started = Date.now();
        const error = await client.json(alice, { path: '/api/drip' }).catch((e: Error) => e);
        expect(error).toMatchObject({ name: 'TimeoutError', message: 'agent-deployment gave up on GET /api/drip after 300 ms' });
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        trickle.closeAllConnections();
        await new Promise((resolve) => trickle.close(resolve));
      }
    });

    it('stops when its signal is aborted, and refuses paths that would leave the callee', async () => {
      const client = createServiceClient({ secret, service: 'agent-deployment', baseUrl: callee.url });
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 100);
      const started = Date.now();
      const error = await client.json(alice, { path: '/api/slow', signal: abort.signal }).catch((e: Error) => e);
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(Date.now() - started).toBeLessThan(1500);
      await expect(client.json(alice, { path: '//127.0.0.1:9/x' })).rejects.toThrow('service path must be absolute on the callee');
    });
  });
});
