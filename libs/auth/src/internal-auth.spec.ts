import request from 'supertest';
import { createLogger } from '@llmp/core';
import { createHttpApp, route } from '@llmp/http';
import { internalAuthenticator } from './internal-auth';
import { IDENTITY_HEADER, requestTarget, signIdentity } from './secrets';

const log = createLogger({ name: 'test', level: 'silent' });
const secret = 'i'.repeat(32);
const alice = { userId: 'usr_1', username: 'alice', role: 'user' as const, via: 'token' as const };

/** A service as the platform builds it: identities only from signed headers. */
function aService() {
  return createHttpApp({
    service: 'test-service',
    log,
    authenticate: internalAuthenticator(secret),
    routes: [
      route({ method: 'post', path: '/api/things', tag: 'things', summary: 'Echo', access: 'user', handle: ({ identity, req }) => ({ who: identity!.username, body: req.body }) }),
      route({ method: 'get', path: '/api/things', tag: 'things', summary: 'Who', access: 'user', handle: ({ identity }) => ({ who: identity!.username }) }),
    ],
  });
}

const json10 = '{"a":"12"}';
const signedFor = (headers: Record<string, string>, method = 'POST', url = '/api/things') =>
  signIdentity(alice, requestTarget({ method, originalUrl: url, headers }), secret);

describe('internal authentication of a service', () => {
  it('accepts a signed identity for the request it was signed for', async () => {
    const header = signedFor({ 'content-length': '10', 'content-type': 'application/json' });
    const res = await request(aService()).post('/api/things').set(IDENTITY_HEADER, header).set('content-type', 'application/json').send(json10).expect(200);
    expect(res.body).toEqual({ who: 'alice', body: { a: '12' } });
  });

  it('refuses the same signed header the second time', async () => {
    const app = aService();
    const header = signedFor({}, 'GET');
    await request(app).get('/api/things').set(IDENTITY_HEADER, header).expect(200);
    const again = await request(app).get('/api/things').set(IDENTITY_HEADER, header).expect(401);
    expect(again.body.error).toEqual({ code: 'invalid_identity', message: 'identity was already used for another request' });
  });

  it('refuses a header signed for a 10-byte body sent with a body of another length', async () => {
    const header = signedFor({ 'content-length': '10', 'content-type': 'application/json' });
    const res = await request(aService()).post('/api/things').set(IDENTITY_HEADER, header).set('content-type', 'application/json').send('{"a":"123"}').expect(401);
    expect(res.body.error).toEqual({ code: 'invalid_identity', message: 'identity was signed for another request' });
  });

  it('refuses a header signed for another content type', async () => {
    const header = signedFor({ 'content-length': '10', 'content-type': 'text/plain' });
    await request(aService()).post('/api/things').set(IDENTITY_HEADER, header).set('content-type', 'application/json').send(json10).expect(401);
  });

  it('answers 503 rather than forgetting live nonces when its replay cache is full', async () => {
    const app = createHttpApp({
      service: 'test-service',
      log,
      authenticate: internalAuthenticator(secret, { replayCache: { maxEntries: 2 } }),
      routes: [route({ method: 'get', path: '/api/things', tag: 'things', summary: 'Who', access: 'user', handle: ({ identity }) => ({ who: identity!.username }) })],
    });
    await request(app).get('/api/things').set(IDENTITY_HEADER, signedFor({}, 'GET')).expect(200);
    await request(app).get('/api/things').set(IDENTITY_HEADER, signedFor({}, 'GET')).expect(200);
    const full = await request(app).get('/api/things').set(IDENTITY_HEADER, signedFor({}, 'GET')).expect(503);
    expect(full.body.error.code).toBe('identity_cache_full');
  });
});
