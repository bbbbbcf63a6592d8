import request from 'supertest';
import { z } from 'zod';
import { createLogger, notFound, rateLimited } from '@llmp/core';
import type { Identity } from '@llmp/contracts';
import { ConflictError, createHttpApp, route, UnauthorizedError } from './index';

const log = createLogger({ name: 'test', level: 'silent' });

const identities: Record<string, Identity> = {
  'user-token': { userId: 'usr_1', username: 'u', role: 'user', via: 'token' },
  'admin-token': { userId: 'usr_2', username: 'a', role: 'admin', via: 'token' },
};

function anApp(health = {}) {
  return createHttpApp({
    service: 'sample',
    log,
    health,
    bodyLimit: '1kb',
    authenticate(req) {
      const header = req.headers.authorization;
      if (!header) return null;
      const identity = identities[header.replace(/^Bearer /, '')];
      if (!identity) throw new UnauthorizedError('unknown token');
      return identity;
    },
    routes: [
      route({ method: 'get', path: '/api/sample/open', tag: 's', summary: 'open', access: 'public', handle: () => ({ ok: true }) }),
      route({
        method: 'post',
        path: '/api/sample/items',
        tag: 's',
        summary: 'create',
        access: 'user',
        status: 201,
        body: z.object({ name: z.string().min(1, 'is required'), tags: z.array(z.string()).default([]) }),
        handle: ({ body }) => ({ created: body }),
      }),
      route({
        method: 'get',
        path: '/api/sample/items',
        tag: 's',
        summary: 'list',
        access: 'user',
        query: z.object({ after: z.string().optional() }),
        handle: ({ query }) => ({ after: query.after ?? null }),
      }),
      route({ method: 'get', path: '/api/sample/items/:id', tag: 's', summary: 'get', access: 'user', handle: ({ params }) => ({ id: params.id }) }),
      route({
        method: 'post',
        path: '/api/sample/notes',
        tag: 's',
        summary: 'note',
        access: 'user',
        body: z.object({ text: z.string(), metadata: z.record(z.string(), z.unknown()).default({}) }),
        handle: ({ body }) => body,
      }),
      route({ method: 'delete', path: '/api/sample/items/:id', tag: 's', summary: 'delete', access: 'admin', handle: ({ params }) => ({ deleted: params.id }) }),
      route({ method: 'get', path: '/api/sample/conflict', tag: 's', summary: 'conflict', access: 'public', handle: () => { throw new ConflictError('already there'); } }),
      route({ method: 'get', path: '/api/sample/missing', tag: 's', summary: 'missing', access: 'public', handle: () => { throw notFound({ code: 'item_not_found', message: 'item it_1 does not exist', details: { id: 'it_1' } }); } }),
      route({ method: 'get', path: '/api/sample/busy', tag: 's', summary: 'busy', access: 'public', handle: () => { throw rateLimited({ message: 'slow down', retryAfterSeconds: 2.2 }); } }),
      route({ method: 'get', path: '/api/sample/bug', tag: 's', summary: 'bug', access: 'public', handle: () => { throw new Error('secret internals'); } }),
    ],
  });
}

describe('createHttpApp', () => {
  it('answers JSON 404 for an unknown route', async () => {
    const res = await request(anApp()).get('/nope').expect(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope' }, requestId: expect.any(String) });
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await request(anApp())
      .post('/api/sample/items')
      .set('authorization', 'Bearer user-token')
      .set('content-type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(res.body.error.code).toBe('malformed_json');
  });

  it('answers 413 for a body over the limit', async () => {
    const res = await request(anApp())
      .post('/api/sample/items')
      .set('authorization', 'Bearer user-token')
      .send({ name: 'x'.repeat(5000) })
      .expect(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/1024 bytes/) });
  });

  it('names each invalid field', async () => {
    const res = await request(anApp())
      .post('/api/sample/items')
      .set('authorization', 'Bearer user-token')
      .send({ name: '', tags: [1] })
      .expect(400);
    expect(res.body.error.message).toContain('body.name: is required');
    expect(res.body.error.message).toContain('body.tags[0]');
    expect(res.body.error.details).toHaveLength(2);
  });

  describe('refuses NUL bytes, which Postgres cannot store, naming the field', () => {
    it('in a path parameter', async () => {
      const res = await request(anApp()).get('/api/sample/items/a%00b').set('authorization', 'Bearer user-token').expect(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', message: 'params.id: must not contain NUL bytes' });
    });

    it('in a query parameter such as a cursor', async () => {
      const res = await request(anApp()).get('/api/sample/items?after=doc_1%00').set('authorization', 'Bearer user-token').expect(400);
      expect(res.body.error.message).toBe('query.after: must not contain NUL bytes');
    });

    it('in a JSON string, however deep', async () => {
      const res = await request(anApp())
        .post('/api/sample/notes')
        .set('authorization', 'Bearer user-token')
        .send({ text: 'fine', metadata: { source: { pages: ['one', 'tw\u0000o'] } } })
        .expect(400);
      expect(res.body.error).toMatchObject({
        message: 'body.metadata.source.pages[1]: must not contain NUL bytes',
        details: [{ path: 'body.metadata.source.pages[1]', message: 'must not contain NUL bytes' }],
      });
    });

    it('in a JSON object key', async () => {
      const res = await request(anApp()).post('/api/sample/notes').set('authorization', 'Bearer user-token').send({ text: 'fine', metadata: { 'k\u0000': 1 } }).expect(400);
      expect(res.body.error.message).toBe('body.metadata: keys must not contain NUL bytes');
    });

    it('before checking the schema, so a NUL in a field the schema ignores is refused too', async () => {
      const res = await request(anApp()).post('/api/sample/notes').set('authorization', 'Bearer user-token').send({ text: 'a\u0000', extra: 'b\u0000' }).expect(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.text', 'body.extra']);
    });
  });

  it.each(['%zz', '%ff%fe', '%E0%A4%A'])('answers 400 malformed_path for the undecodable path parameter %s', async (raw) => {
    const res = await request(anApp()).get(`/api/sample/items/${raw}`).set('authorization', 'Bearer user-token').expect(400);
    expect(res.body).toEqual({
      error: { code: 'malformed_path', message: expect.stringContaining('is not valid percent-encoded UTF-8') },
      requestId: expect.any(String),
    });
  });

  it('runs the handler and uses the declared status', async () => {
    const res = await request(anApp()).post('/api/sample/items').set('authorization', 'Bearer user-token').send({ name: 'a' }).expect(201);
    expect(res.body).toEqual({ created: { name: 'a', tags: [] } });
  });

  it('answers 401 without credentials, 401 for bad ones and 403 for a role too low', async () => {
    const app = anApp();
    await request(app).delete('/api/sample/items/1').expect(401);
    await request(app).delete('/api/sample/items/1').set('authorization', 'Bearer forged').expect(401);
    const res = await request(app).delete('/api/sample/items/1').set('authorization', 'Bearer user-token').expect(403);
    expect(res.body.error.message).toMatch(/needs the "admin" role/);
    await request(app).delete('/api/sample/items/1').set('authorization', 'Bearer admin-token').expect(200, { deleted: '1' });
  });

  it('maps typed errors and hides the text of unexpected ones', async () => {
    const app = anApp();
    await request(app).get('/api/sample/conflict').expect(409);
    const missing = await request(app).get('/api/sample/missing').expect(404);
    expect(missing.body.error).toEqual({ code: 'item_not_found', message: 'item it_1 does not exist', details: { id: 'it_1' } });
    const busy = await request(app).get('/api/sample/busy').expect(429);
    expect(busy.headers['retry-after']).toBe('3');
    expect(busy.body.error.code).toBe('rate_limited');
    const res = await request(app).get('/api/sample/bug').expect(500);
    expect(JSON.stringify(res.body)).not.toContain('secret internals');
  });

  it('keeps a sane incoming request id and replaces a strange one', async () => {
    const app = anApp();
    const kept = await request(app).get('/nope').set('x-request-id', 'abc-123');
    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(kept.body.requestId).toBe('abc-123');
    const replaced = await request(app).get('/nope').set('x-request-id', 'bad id {"x": 1}');
    expect(replaced.headers['x-request-id']).not.toContain('bad');
  });

  it('reports each dependency with its latency and answers 503 when one is down', async () => {
    const up = await request(anApp({ db: async () => undefined })).get('/healthz').expect(200);
    expect(up.body).toMatchObject({ status: 'ok', service: 'sample', checks: { db: { status: 'up', latencyMs: expect.any(Number) } } });
    const down = await request(
      anApp({ db: async () => undefined, queue: async () => { throw new Error('connection refused'); } }),
    ).get('/healthz').expect(503);
    expect(down.body.checks.queue).toMatchObject({ status: 'down', error: 'connection refused' });
  });

  it('exposes Prometheus metrics labelled by route pattern', async () => {
    const app = anApp();
    await request(app).delete('/api/sample/items/42').set('authorization', 'Bearer admin-token');
    const res = await request(app).get('/metrics').expect(200);
    expect(res.text).toContain('llmp_http_requests_total{method="DELETE",route="/api/sample/items/:id",status="200",service="sample"} 1');
  });

  it('describes its routes as OpenAPI', async () => {
    const res = await request(anApp()).get('/openapi.json').expect(200);
    expect(res.body.paths['/api/sample/items/{id}'].delete).toMatchObject({ summary: 'delete', 'x-llmp-min-role': 'admin' });
    expect(res.body.paths['/api/sample/items'].post.requestBody.content['application/json'].schema.properties.name).toBeDefined();
  });
});
