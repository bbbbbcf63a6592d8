import request from 'supertest';
import type { Express } from 'express';
import { createLogger } from '@llmp/core';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import type { RouteSpec } from '@llmp/http';
import { startPlatform, type Platform } from './platform';

const log = createLogger({ name: 'test', level: 'silent' });

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route Express actually registered, so none can hide from the inventory. */
function registeredRoutes(app: Express): Array<{ method: string; path: string }> {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  return stack
    .filter((layer) => layer.route)
    .flatMap((layer) => Object.keys(layer.route!.methods).map((method) => ({ method, path: layer.route!.path })));
}

const INFRASTRUCTURE = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);

function concretePath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, 'x_$1');
}

describe('the embedded platform', () => {
  let platform: Platform;
  let tokens: Record<'admin' | 'manager' | 'user', string>;

  beforeAll(async () => {
    platform = await startPlatform({ log, port: 0, passwordCost: TEST_PASSWORD_COST });
    const adminPassword = platform.firstAdmin!.password;
    const login = async (username: string, password: string) =>
      (await request(platform.url).post('/api/auth/login').send({ username, password }).expect(200)).body.token as string;
    const admin = await login('admin', adminPassword);
    for (const role of ['manager', 'user'] as const) {
      await request(platform.url)
        .post('/api/users')
        .set('authorization', `Bearer ${admin}`)
        .send({ username: `${role}1`, password: `${role}-password`, role })
        .expect(201);
    }
    tokens = { admin, manager: await login('manager1', 'manager-password'), user: await login('user1', 'user-password') };
  });
  afterAll(() => platform.stop());

  describe('route inventory', () => {
    const apps = () => ({ 'api-gateway': platform.gateway, ...Object.fromEntries(Object.entries(platform.services).map(([n, s]) => [n, s.app])) });

    it('declares every registered route with its access rule', () => {
      for (const [name, app] of Object.entries(apps())) {
        const declared = new Set((app.locals.routes as RouteSpec[]).map((r) => `${r.method} ${r.path}`));
        for (const { method, path } of registeredRoutes(app)) {
          if (INFRASTRUCTURE.has(path)) continue;
          expect({ service: name, route: `${method} ${path}`, declared: declared.has(`${method} ${path}`) }).toMatchObject({ declared: true });
        }
      }
    });

    it('answers 401 without credentials and 403 for a role without rights, on every route', async () => {
      let checked = 0;
      for (const [name, app] of Object.entries(apps())) {
        for (const spec of app.locals.routes as RouteSpec[]) {
          if (spec.access === 'public') continue;
          const path = concretePath(spec.path);
          const anonymous = await request(platform.url)[spec.method](path).send({});
          expect({ service: name, route: `${spec.method} ${spec.path}`, status: anonymous.status }).toMatchObject({ status: 401 });
          expect(anonymous.body.error.code).toBeDefined();
          if (spec.access !== 'user') {
            const tooLow = spec.access === 'admin' ? tokens.manager : tokens.user;
            const res = await request(platform.url)[spec.method](path).set('authorization', `Bearer ${tooLow}`).send({});
            expect({ service: name, route: `${spec.method} ${spec.path}`, status: res.status }).toMatchObject({ status: 403 });
          }
          checked++;
        }
      }
      expect(checked).toBeGreaterThanOrEqual(14);
    });

    it('lists only health, metrics and documentation as public, besides login', () => {
      const publicRoutes = Object.values(apps()).flatMap((app) =>
        (app.locals.routes as RouteSpec[]).filter((r) => r.access === 'public').map((r) => `${r.method} ${r.path}`),
      );
      expect(publicRoutes.sort()).toEqual(['get /api/openapi.json', 'post /api/auth/login']);
    });

    describe("keeps one user's knowledge bases and documents from another", () => {
      type Target = 'kb' | 'doc';
      type Needs = 'read' | 'write' | 'administer';
      /**
       * Every ingestion route that names a knowledge base or a document, with
       * what it needs; a new route fails the first test until it is listed here.
       */
      const MATRIX: Record<string, { target: Target; needs: Needs; body?: object }> = {
        'get /api/ingestion/knowledge-bases/:id': { target: 'kb', needs: 'read' },
        'patch /api/ingestion/knowledge-bases/:id': { target: 'kb', needs: 'administer', body: { description: 'changed' } },
        'delete /api/ingestion/knowledge-bases/:id': { target: 'kb', needs: 'administer' },
        'post /api/ingestion/knowledge-bases/:id/reindex': { target: 'kb', needs: 'write', body: {} },
        'get /api/ingestion/knowledge-bases/:id/members': { target: 'kb', needs: 'read' },
        'put /api/ingestion/knowledge-bases/:id/members/:userId': { target: 'kb', needs: 'administer', body: { role: 'editor' } },
        'delete /api/ingestion/knowledge-bases/:id/members/:userId': { target: 'kb', needs: 'administer' },
        'post /api/ingestion/knowledge-bases/:id/documents': { target: 'kb', needs: 'write' },
        'get /api/ingestion/knowledge-bases/:id/documents': { target: 'kb', needs: 'read' },
        'get /api/ingestion/documents/:id': { target: 'doc', needs: 'read' },
        'get /api/ingestion/documents/:id/chunks': { target: 'doc', needs: 'read' },
        'post /api/ingestion/documents/:id/cancel': { target: 'doc', needs: 'write' },
        'delete /api/ingestion/documents/:id': { target: 'doc', needs: 'write' },
      };
      const as = (token: string) => ({ authorization: `Bearer ${token}` });
      let alice: string;
      let bob: string;
      let bobId: string;
      const ids = { private: { kb: '', doc: '' }, organisation: { kb: '', doc: '' } };

      beforeAll(async () => {
        for (const name of ['alice', 'bob']) {
          await request(platform.url).post('/api/users').set(as(tokens.admin)).send({ username: name, password: `${name}-password` }).expect(201);
        }
        const login = async (name: string) => (await request(platform.url).post('/api/auth/login').send({ username: name, password: `${name}-password` }).expect(200)).body;
        alice = (await login('alice')).token;
        const bobSession = await login('bob');
        bob = bobSession.token;
        bobId = bobSession.user.id;
        for (const visibility of ['private', 'organisation'] as const) {
          const kb = (await request(platform.url).post('/api/ingestion/knowledge-bases').set(as(alice)).send({ name: `Alice ${visibility}`, visibility }).expect(201)).body;
          const doc = (await request(platform.url).post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).set(as(alice)).attach('file', Buffer.from(`Alice's ${visibility} notes on the boiler.`), { filename: 'notes.txt' }).expect(201)).body.documents[0];
          ids[visibility] = { kb: kb.id, doc: doc.id };
        }
      });

      const ingestionRoutes = () => (platform.services['document-ingestion'].app.locals.routes as RouteSpec[]).filter((r) => /\/:id\b/.test(r.path));
      const call = (spec: RouteSpec, token: string, visibility: 'private' | 'organisation') => {
        const { target, body } = MATRIX[`${spec.method} ${spec.path}`];
        const path = spec.path.replace(':id', ids[visibility][target]).replace(':userId', bobId);
        return request(platform.url)[spec.method](path).set(as(token)).send(body ?? {});
      };

      it('lists every ingestion route that names a knowledge base or a document in the matrix', () => {
        expect(ingestionRoutes().map((r) => `${r.method} ${r.path}`).sort()).toEqual(Object.keys(MATRIX).sort());
      });

      it("answers 404 to another user on every route for a private knowledge base and its document, as if they did not exist", async () => {
        for (const spec of ingestionRoutes()) {
          const res = await call(spec, bob, 'private');
          expect({ route: `${spec.method} ${spec.path}`, status: res.status, code: res.body.error?.code }).toEqual({
            route: `${spec.method} ${spec.path}`,
            status: 404,
            code: MATRIX[`${spec.method} ${spec.path}`].target === 'kb' ? 'knowledge_base_not_found' : 'document_not_found',
          });
        }
        const listed = (await request(platform.url).get('/api/ingestion/knowledge-bases').set(as(bob)).expect(200)).body.data.map((kb: { id: string }) => kb.id);
        expect(listed).not.toContain(ids.private.kb);
        await request(platform.url).post('/api/ingestion/search').set(as(bob)).send({ query: 'boiler', knowledgeBaseIds: [ids.private.kb] }).expect(404);
      });

      it('lets another user read an organisation knowledge base on every read route, and answers 403 on every route that changes it', async () => {
        for (const spec of ingestionRoutes()) {
          const res = await call(spec, bob, 'organisation');
          const reads = MATRIX[`${spec.method} ${spec.path}`].needs === 'read';
          expect({ route: `${spec.method} ${spec.path}`, status: res.status }).toEqual({ route: `${spec.method} ${spec.path}`, status: reads ? 200 : 403 });
        }
        const listed = (await request(platform.url).get('/api/ingestion/knowledge-bases').set(as(bob)).expect(200)).body.data.map((kb: { id: string }) => kb.id);
        expect(listed).toContain(ids.organisation.kb);
        await request(platform.url).post('/api/ingestion/search').set(as(bob)).send({ query: 'boiler', knowledgeBaseIds: [ids.organisation.kb] }).expect(200);
      });

      it('lets a manager read every private knowledge base and document of every user', async () => {
        for (const spec of ingestionRoutes().filter((r) => MATRIX[`${r.method} ${r.path}`].needs === 'read')) {
          const res = await call(spec, tokens.manager, 'private');
          expect({ route: `${spec.method} ${spec.path}`, status: res.status }).toEqual({ route: `${spec.method} ${spec.path}`, status: 200 });
        }
        const listed = (await request(platform.url).get('/api/ingestion/knowledge-bases').set(as(tokens.manager)).expect(200)).body.data.map((kb: { id: string }) => kb.id);
        expect(listed).toEqual(expect.arrayContaining([ids.private.kb, ids.organisation.kb]));
      });

      it('lets another user change the contents, not the settings, once the owner makes them an editor', async () => {
        const kb = ids.organisation.kb;
        await request(platform.url).put(`/api/ingestion/knowledge-bases/${kb}/members/${bobId}`).set(as(alice)).send({ role: 'editor' }).expect(200);
        const up = await request(platform.url).post(`/api/ingestion/knowledge-bases/${kb}/documents`).set(as(bob)).attach('file', Buffer.from('Bob adds a page.'), { filename: 'bob.txt' }).expect(201);
        await request(platform.url).post(`/api/ingestion/documents/${ids.organisation.doc}/cancel`).set(as(bob)).expect((res) => expect([200, 409]).toContain(res.status));
        await request(platform.url).delete(`/api/ingestion/documents/${up.body.documents[0].id}`).set(as(bob)).expect(204);
        await request(platform.url).patch(`/api/ingestion/knowledge-bases/${kb}`).set(as(bob)).send({ visibility: 'private' }).expect(403);
        await request(platform.url).delete(`/api/ingestion/knowledge-bases/${kb}`).set(as(bob)).expect(403);
        await request(platform.url).delete(`/api/ingestion/knowledge-bases/${kb}/members/${bobId}`).set(as(alice)).expect(204);
        await request(platform.url).post(`/api/ingestion/knowledge-bases/${kb}/documents`).set(as(bob)).attach('file', Buffer.from('Not any more.'), { filename: 'late.txt' }).expect(403);
      });
    });

    it('answers 400, never 500, for NUL bytes and malformed percent-encoding in every path parameter, through the gateway', async () => {
      let checked = 0;
      for (const [name, app] of Object.entries(apps())) {
        for (const spec of (app.locals.routes as RouteSpec[]).filter((r) => r.path.includes('/:'))) {
          for (const [raw, code] of [['%00', 'invalid_request'], ['%zz', 'malformed_path'], ['%ff%fe', 'malformed_path']]) {
            const res = await request(platform.url)[spec.method](spec.path.replace(/:[A-Za-z]+/g, raw)).set('authorization', `Bearer ${tokens.admin}`).send({});
            expect({ service: name, route: `${spec.method} ${spec.path}`, raw, status: res.status, code: res.body.error?.code }).toEqual({
              service: name,
              route: `${spec.method} ${spec.path}`,
              raw,
              status: 400,
              code,
            });
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(3 * 15);
    });

    it('refuses a call that goes to a service directly instead of through the gateway', async () => {
      const ingestion = platform.services['document-ingestion'].server.url;
      const res = await request(ingestion).get('/api/ingestion/info').set('authorization', `Bearer ${tokens.admin}`).expect(401);
      expect(res.body.error.code).toBe('not_through_gateway');
      const forged = await request(ingestion).get('/api/ingestion/info').set('x-llmp-identity', 'v1.e30.AAAA').expect(401);
      expect(forged.body.error.code).toBe('invalid_identity');
    });
  });

  describe('gateway', () => {
    it('reports every service and the database in /healthz', async () => {
      const res = await request(platform.url).get('/healthz').expect(200);
      expect(Object.keys(res.body.checks).sort()).toEqual(
        ['admin-dashboard', 'agent-deployment', 'data-structuring', 'database', 'document-ingestion', 'model-training'].sort(),
      );
      for (const check of Object.values(res.body.checks) as Array<{ status: string; latencyMs: number }>) {
        expect(check).toMatchObject({ status: 'up', latencyMs: expect.any(Number) });
      }
      expect(res.body.checks['document-ingestion'].checks.database.status).toBe('up');
    });

    it('routes each area to its service with the caller identity', async () => {
      for (const [area, service] of [
        ['ingestion', 'document-ingestion'],
        ['datasets', 'data-structuring'],
        ['training', 'model-training'],
        ['agents', 'agent-deployment'],
      ]) {
        const res = await request(platform.url).get(`/api/${area}/info`).set('authorization', `Bearer ${tokens.user}`).expect(200);
        expect(res.body).toMatchObject({ service, schemaVersion: res.body.latestSchemaVersion });
      }
    });

    it('answers JSON 404 for unknown routes, its own and a service’s', async () => {
      const own = await request(platform.url).get('/api/nothing-here').set('authorization', `Bearer ${tokens.user}`).expect(404);
      expect(own.body.error.code).toBe('not_found');
      const proxied = await request(platform.url).get('/api/ingestion/nothing-here').set('authorization', `Bearer ${tokens.user}`).expect(404);
      expect(proxied.body).toMatchObject({ error: { code: 'not_found' }, requestId: expect.any(String) });
    });

    it('answers 400 for malformed JSON and 413 for an oversized body, never 500', async () => {
      const malformed = await request(platform.url)
        .post('/api/users')
        .set('authorization', `Bearer ${tokens.admin}`)
        .set('content-type', 'application/json')
        .send('{"username": "x", ')
        .expect(400);
      expect(malformed.body.error.code).toBe('malformed_json');
      const huge = await request(platform.url)
        .post('/api/users')
        .set('authorization', `Bearer ${tokens.admin}`)
        .send({ username: 'x', password: 'y'.repeat(2 * 1024 * 1024) })
        .expect(413);
      expect(huge.body.error.code).toBe('payload_too_large');
    });

    it('answers 400 naming the field for a NUL byte in the login username or password, never 500', async () => {
      const username = await request(platform.url).post('/api/auth/login').send({ username: 'adm\u0000in', password: 'whatever' }).expect(400);
      expect(username.body.error).toMatchObject({ code: 'invalid_request', message: 'body.username: must not contain NUL bytes' });
      const password = await request(platform.url).post('/api/auth/login').send({ username: 'admin', password: 'x\u0000' }).expect(400);
      expect(password.body.error.message).toBe('body.password: must not contain NUL bytes');
    });

    it('serves a merged OpenAPI document of every service', async () => {
      const res = await request(platform.url).get('/api/openapi.json').expect(200);
      for (const path of ['/api/auth/login', '/api/users/{id}', '/api/ingestion/info', '/api/datasets/info', '/api/training/info', '/api/agents/info']) {
        expect(res.body.paths[path]).toBeDefined();
      }
    });

    it('serves the console at / (built by `npm test` before the tests run)', async () => {
      const res = await request(platform.url).get('/').expect(200);
      expect(res.text).toContain('<title>llmp console</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });
  });

  describe('user management', () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });

    it('lets an admin create, list, change, disable and reset a user', async () => {
      const created = await request(platform.url).post('/api/users').set(as(tokens.admin)).send({ username: 'grace', password: 'grace-password' }).expect(201);
      expect(created.body).toMatchObject({ username: 'grace', role: 'user', disabled: false });
      expect(created.body.passwordHash).toBeUndefined();
      const list = await request(platform.url).get('/api/users').set(as(tokens.admin)).expect(200);
      expect(list.body.data.map((u: { username: string }) => u.username)).toContain('grace');
      await request(platform.url).patch(`/api/users/${created.body.id}`).set(as(tokens.admin)).send({ role: 'manager' }).expect(200);
      await request(platform.url).post(`/api/users/${created.body.id}/password`).set(as(tokens.admin)).send({ password: 'new-grace-password' }).expect(204);
      const session = await request(platform.url).post('/api/auth/login').send({ username: 'grace', password: 'new-grace-password' }).expect(200);
      expect(session.body.user.role).toBe('manager');
      await request(platform.url).patch(`/api/users/${created.body.id}`).set(as(tokens.admin)).send({ disabled: true }).expect(200);
      await request(platform.url).get('/api/auth/me').set(as(session.body.token)).expect(401);
    });

    it('keeps an admin from disabling themselves', async () => {
      const me = await request(platform.url).get('/api/auth/me').set(as(tokens.admin)).expect(200);
      const res = await request(platform.url).patch(`/api/users/${me.body.id}`).set(as(tokens.admin)).send({ disabled: true }).expect(403);
      expect(res.body.error.code).toBe('cannot_disable_self');
    });

    it('explains what is wrong with a bad user', async () => {
      const res = await request(platform.url).post('/api/users').set(as(tokens.admin)).send({ username: 'a b', password: 'short', role: 'owner' }).expect(400);
      expect(res.body.error.message).toMatch(/body\.username: may contain only/);
      expect(res.body.error.message).toMatch(/body\.password: must be at least 8 characters/);
      expect(res.body.error.message).toMatch(/body\.role/);
      await request(platform.url).post('/api/users').set(as(tokens.admin)).send({ username: 'user1', password: 'whatever-1' }).expect(409);
    });

    it('issues an API key shown once that then authenticates', async () => {
      const created = await request(platform.url).post('/api/auth/api-keys').set(as(tokens.manager)).send({ name: 'ci' }).expect(201);
      const me = await request(platform.url).get('/api/auth/me').set('x-api-key', created.body.secret).expect(200);
      expect(me.body).toMatchObject({ username: 'manager1', via: 'api_key' });
      const list = await request(platform.url).get('/api/auth/api-keys').set(as(tokens.manager)).expect(200);
      expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
      await request(platform.url).delete(`/api/auth/api-keys/${created.body.id}`).set(as(tokens.manager)).expect(204);
      await request(platform.url).get('/api/auth/me').set('x-api-key', created.body.secret).expect(401);
    });
  });
});
