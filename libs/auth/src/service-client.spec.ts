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
});
