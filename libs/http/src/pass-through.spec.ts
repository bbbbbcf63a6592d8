import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import request from 'supertest';
import type { Identity } from '@llmp/contracts';
import { createLogger } from '@llmp/core';
import { BadGatewayError, createHttpApp, route, UnauthorizedError, type PassThroughRequest } from './index';

const alice: Identity = { userId: 'usr_1', username: 'alice', role: 'user', via: 'token' };

/** An app whose `/api/raw/…` is served by a pass-through that answers with what it was handed. */
function anApp() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const served: PassThroughRequest[] = [];
  const app = createHttpApp({
    service: 'sample',
    log: createLogger({ name: 'test', level: 'info', destination }),
    authenticate(req) {
      const header = req.headers.authorization;
      if (!header) return null;
      if (header !== 'Bearer good') throw new UnauthorizedError({ code: 'invalid_token', message: 'the token is unknown' });
      return alice;
    },
    routes: [route({ method: 'get', path: '/api/own', tag: 's', summary: 'own', access: 'user', handle: () => ({ own: true }) })],
    passThrough: {
      claims: (path) => (path === '/api/raw' || path.startsWith('/api/raw/') ? '/api/raw/*' : undefined),
      async serve(req, res: ServerResponse) {
        served.push(req);
        if (req.path === '/api/raw/broken') throw new BadGatewayError({ code: 'upstream_unavailable', message: 'the service is not reachable' });
        const body: Buffer[] = [];
        for await (const chunk of req.raw) body.push(chunk as Buffer);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ target: req.originalUrl, path: req.path, identity: req.identity, protocol: req.protocol, id: req.id, body: Buffer.concat(body).toString() }));
      },
    },
  });
  return { app, served, lines };
}

describe('pass-through', () => {
  it('hands a claimed request over with its identity, id, normalised target and unread body', async () => {
    const { app } = anApp();
    const res = await request(app)
      .post('/api/raw/%7Ea/b?q=%41')
      .set('authorization', 'Bearer good')
      .set('x-request-id', 'req-123')
      .send('plain bytes')
      .expect(200);
    expect(res.body).toEqual({ target: '/api/raw/~a/b?q=%41', path: '/api/raw/~a/b', identity: alice, protocol: 'http', id: 'req-123', body: 'plain bytes' });
    expect(res.headers['x-request-id']).toBe('req-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('logs, counts and ids its requests as every route does', async () => {
    const { app, lines } = anApp();
    const res = await request(app).get('/api/raw/x').expect(200);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.identity).toBeNull();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request completed', req: { id: res.body.id, method: 'GET', url: '/api/raw/x' }, res: { statusCode: 200 } }));
    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/llmp_http_requests_total\{method="GET",route="\/api\/raw\/\*",status="200",service="sample"\} 1/);
  });

  it('answers a refused credential and a failed service in the error shape, with the request id', async () => {
    const { app, served } = anApp();
    const refused = await request(app).get('/api/raw/x').set('authorization', 'Bearer bad').set('x-request-id', 'r-1').expect(401);
    expect(refused.body).toEqual({ error: { code: 'invalid_token', message: 'the token is unknown' }, requestId: 'r-1' });
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(served).toHaveLength(0);
    const failed = await request(app).get('/api/raw/broken').set('x-request-id', 'r-2').expect(502);
    expect(failed.body).toEqual({ error: { code: 'upstream_unavailable', message: 'the service is not reachable' }, requestId: 'r-2' });
  });

  it('leaves refused targets and unclaimed paths to the app, which answers them as before', async () => {
    const { app, served } = anApp();
    const dotted = await request(app).get('/api/raw/%2e%2e/own').set('authorization', 'Bearer good').expect(400);
    expect(dotted.body.error.code).toBe('invalid_request_target');
    const malformed = await request(app).get('/api/raw/%zz').expect(400);
    expect(malformed.body.error.code).toBe('malformed_path');
    expect((await request(app).get('/api/own').set('authorization', 'Bearer good').expect(200)).body).toEqual({ own: true });
    await request(app).get('/api/rawer').expect(404);
    expect(served).toHaveLength(0);
  });

  it("takes the protocol from a trusted proxy's X-Forwarded-Proto", async () => {
    const { app } = anApp();
    // supertest connects over loopback, which the app trusts as its proxy (nginx in staging).
    const res = await request(app).get('/api/raw/x').set('x-forwarded-proto', 'https, http').expect(200);
    expect(res.body.protocol).toBe('https');
  });
});
