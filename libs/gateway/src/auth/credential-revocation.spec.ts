import request from 'supertest';
import { createAuthService, type AuthService } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger, sleep } from '@llmp/core';
import { migrate, type Db } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import type { HttpApp } from '@llmp/http';
import { createGatewayApp, gatewayMigrations } from '../index';

const log = createLogger({ name: 'test', level: 'silent' });
const dead = 'http://127.0.0.1:9';
// Far longer than any wait below: only a revocation message can end a cached entry in time.
const LONG_TTL_MS = 60_000;

interface Replica {
  app: HttpApp;
  auth: AuthService;
}

async function aReplica(db: Db): Promise<Replica> {
  const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST, credentialCache: { ttlMs: LONG_TTL_MS } });
  await auth.listenForRevocations();
  const app = createGatewayApp({ db, log, auth, internalSecret: 'g'.repeat(32), services: { ingestion: dead, structuring: dead, training: dead, agents: dead, dashboard: dead } });
  return { app, auth };
}

/** Polls every 50 ms until `status` answers `expected`; resolves with how long it took, or fails after `withinMs`. */
async function untilStatus(status: () => Promise<number>, expected: number, withinMs: number): Promise<number> {
  const started = Date.now();
  for (let last = await status(); last !== expected; last = await status()) {
    if (Date.now() - started > withinMs) throw new Error(`still ${last} after ${withinMs} ms, expected ${expected}`);
    await sleep(50);
  }
  return Date.now() - started;
}

describe.each(testDatabases())('revocations across gateway replicas on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  let a: Replica;
  let b: Replica;
  let adminToken: string;
  let eve: string;
  let made = 0;

  // One database for the suite (opening one is slow on a busy machine); each test has users of its own.
  beforeAll(async () => {
    handle = await database.open();
    await migrate(handle.db, gatewayMigrations);
  }, 300_000);
  afterAll(() => handle.close());

  beforeEach(async () => {
    a = await aReplica(handle.db);
    b = await aReplica(handle.db);
    made++;
    await a.auth.createUser({ username: `root${made}`, password: 'root-password', role: 'admin' });
    eve = `eve${made}`;
    await a.auth.createUser({ username: eve, password: 'eve-password', role: 'user' });
    adminToken = (await a.auth.login(`root${made}`, 'root-password')).token;
  }, 60_000);
  afterEach(() => Promise.all([a.auth.close(), b.auth.close()]));

  const me = (replica: Replica, headers: Record<string, string>) => async () => (await request(replica.app).get('/api/auth/me').set(headers)).status;
  const userId = async (username: string) => (await a.auth.listUsers()).find((u) => u.username === username)!.id;

  it('keeps answering from its cache when the database changes without a revocation message', async () => {
    const { token } = await a.auth.login(eve, 'eve-password');
    await request(b.app).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
    // Behind the gateways' backs: no message is sent, so the cached identity stands until its TTL.
    await handle.db.query('delete from gateway.sessions where user_id = $1', [await userId(eve)]);
    await request(b.app).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
  });

  it('refuses a disabled user on the other replica within one second', async () => {
    const { token } = await a.auth.login(eve, 'eve-password');
    await request(b.app).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
    await request(a.app).patch(`/api/users/${await userId(eve)}`).auth(adminToken, { type: 'bearer' }).send({ disabled: true }).expect(200);
    expect(await untilStatus(me(b, { authorization: `Bearer ${token}` }), 401, 1000)).toBeLessThan(1000);
  });

  it('refuses a revoked API key on the other replica within one second', async () => {
    const { token } = await a.auth.login(eve, 'eve-password');
    const created = await request(a.app).post('/api/auth/api-keys').auth(token, { type: 'bearer' }).send({ name: 'ci' }).expect(201);
    await request(b.app).get('/api/auth/me').set('x-api-key', created.body.secret).expect(200);
    await request(a.app).delete(`/api/auth/api-keys/${created.body.id}`).auth(token, { type: 'bearer' }).expect(204);
    expect(await untilStatus(me(b, { 'x-api-key': created.body.secret }), 401, 1000)).toBeLessThan(1000);
  });

  it('refuses a logged-out token on the other replica within one second', async () => {
    const { token } = await a.auth.login(eve, 'eve-password');
    await request(b.app).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
    await request(a.app).post('/api/auth/logout').auth(token, { type: 'bearer' }).expect(204);
    expect(await untilStatus(me(b, { authorization: `Bearer ${token}` }), 401, 1000)).toBeLessThan(1000);
  });

  it('applies a password reset and a role change on the other replica within one second', async () => {
    const mallory = `mallory${made}`;
    await a.auth.createUser({ username: mallory, password: 'mallory-password', role: 'admin' });
    const { token: eveToken } = await a.auth.login(eve, 'eve-password');
    const { token: malloryToken } = await a.auth.login(mallory, 'mallory-password');
    await request(b.app).get('/api/auth/me').auth(eveToken, { type: 'bearer' }).expect(200);
    await request(b.app).get('/api/users').auth(malloryToken, { type: 'bearer' }).expect(200);

    await request(a.app).post(`/api/users/${await userId(eve)}/password`).auth(adminToken, { type: 'bearer' }).send({ password: 'new-password-1' }).expect(204);
    await request(a.app).patch(`/api/users/${await userId(mallory)}`).auth(adminToken, { type: 'bearer' }).send({ role: 'user' }).expect(200);

    expect(await untilStatus(me(b, { authorization: `Bearer ${eveToken}` }), 401, 1000)).toBeLessThan(1000);
    const usersOnB = async () => (await request(b.app).get('/api/users').auth(malloryToken, { type: 'bearer' })).status;
    expect(await untilStatus(usersOnB, 403, 1000)).toBeLessThan(1000);
  });

  it('checks every request in the database once it stops listening', async () => {
    const { token } = await a.auth.login(eve, 'eve-password');
    await request(b.app).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
    await b.auth.close();
    await handle.db.query('delete from gateway.sessions where user_id = $1', [await userId(eve)]);
    await request(b.app).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(401);
  });
});
