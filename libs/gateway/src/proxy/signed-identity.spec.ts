import request from 'supertest';
import { createAuthService, IDENTITY_HEADER, internalAuthenticator } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { createHttpApp, listen, route, type HttpApp, type RunningServer } from '@llmp/http';
import { createGatewayApp, gatewayMigrations } from '../index';

const log = createLogger({ name: 'test', level: 'silent' });
const secret = 'q'.repeat(32);
const dead = 'http://127.0.0.1:9';

describe('identities the gateway signs for a service', () => {
  let db: Db;
  let token: string;
  let service: RunningServer;
  let gateway: HttpApp;
  const headersSeen: string[] = [];

  beforeAll(async () => {
    db = await createPgliteDb();
    await migrate(db, gatewayMigrations);
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST });
    await auth.createUser({ username: 'alice', password: 'alice-password', role: 'user' });
    token = (await auth.login('alice', 'alice-password')).token;
    // A service authenticating exactly as every platform service does.
    const app = createHttpApp({
      service: 'document-ingestion',
      log,
      authenticate: internalAuthenticator(secret),
      routes: [
        route({
          method: 'post',
          path: '/api/ingestion/echo',
          tag: 'echo',
          summary: 'Echo',
          access: 'user',
          handle: ({ identity, req }) => {
            headersSeen.push(String(req.headers[IDENTITY_HEADER]));
            return { who: identity!.username, body: req.body };
          },
        }),
      ],
    });
    service = await listen(app);
    gateway = createGatewayApp({
      db,
      log,
      auth,
      internalSecret: secret,
      services: { ingestion: service.url, structuring: dead, training: dead, agents: dead, dashboard: dead },
    });
  }, 120_000);
  afterAll(async () => {
    await gateway.locals.close?.();
    await service.close(1000);
    await db.close();
  });

  it('are accepted by the service for requests with and without a body', async () => {
    const withBody = await request(gateway).post('/api/ingestion/echo').set('authorization', `Bearer ${token}`).send({ text: 'hello' }).expect(200);
    expect(withBody.body).toEqual({ who: 'alice', body: { text: 'hello' } });
    const empty = await request(gateway).post('/api/ingestion/echo').set('authorization', `Bearer ${token}`).expect(200);
    expect(empty.body.who).toBe('alice');
  });

  it('are refused when a captured one is sent to the service again, with the same body or another', async () => {
    await request(gateway).post('/api/ingestion/echo').set('authorization', `Bearer ${token}`).send({ text: 'hello' }).expect(200);
    const captured = headersSeen.at(-1)!;
    const same = await request(service.url).post('/api/ingestion/echo').set(IDENTITY_HEADER, captured).send({ text: 'hello' }).expect(401);
    expect(same.body.error.message).toBe('identity was already used for another request');
    const other = await request(service.url).post('/api/ingestion/echo').set(IDENTITY_HEADER, captured).send({ text: 'a longer body' }).expect(401);
    expect(other.body.error.message).toBe('identity was signed for another request');
  });
});
