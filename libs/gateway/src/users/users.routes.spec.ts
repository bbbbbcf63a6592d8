import request from 'supertest';
import { createAuthService } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import type { HttpApp } from '@llmp/http';
import { createGatewayApp, gatewayMigrations } from '../index';

const log = createLogger({ name: 'test', level: 'silent' });
const dead = 'http://127.0.0.1:9';

describe('admin actions on a user', () => {
  let db: Db;
  let app: HttpApp;
  let admin: string;
  let n = 0;

  beforeAll(async () => {
    db = await createPgliteDb();
    await migrate(db, gatewayMigrations);
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST });
    await auth.createUser({ username: 'root', password: 'root-password', role: 'admin' });
    app = createGatewayApp({
      db,
      log,
      auth,
      internalSecret: 'g'.repeat(32),
      services: { ingestion: dead, structuring: dead, training: dead, agents: dead, dashboard: dead },
    });
    admin = (await request(app).post('/api/auth/login').send({ username: 'root', password: 'root-password' }).expect(200)).body.token;
 
  }, 120_000);
  afterAll(() => db.close());

  /** A user with a session and an API key, both working. */
  async function aUserWithCredentials() {
    const username = `user${++n}`;
    const user = (await request(app).post('/api/users').set('authorization', `Bearer ${admin}`).send({ username, password: 'first-password' }).expect(201)).body;
    const token = (await request(app).post('/api/auth/login').send({ username, password: 'first-password' }).expect(200)).body.token;
    const key = (await request(app).post('/api/auth/api-keys').set('authorization', `Bearer ${token}`).send({ name: 'ci' }).expect(201)).body.secret;
    await request(app).get('/api/auth/me').set('x-api-key', key).expect(200);
    return { id: user.id as string, username, token: token as string, key: key as string };
  }

  it('revokes the sessions and API keys of a user whose password an admin resets', async () => {
    const u = await aUserWithCredentials();
    await request(app).post(`/api/users/${u.id}/password`).set('authorization', `Bearer ${admin}`).send({ password: 'second-password' }).expect(204);
    await request(app).get('/api/auth/me').set('authorization', `Bearer ${u.token}`).expect(401);
    const res = await request(app).get('/api/auth/me').set('x-api-key', u.key).expect(401);
    expect(res.body.error.code).toBe('invalid_api_key');
    await request(app).post('/api/auth/login').send({ username: u.username, password: 'second-password' }).expect(200);
  });

  it('keeps the API keys on a password reset when the admin asks for it with keepApiKeys', async () => {
    const u = await aUserWithCredentials();
    await request(app)
      .post(`/api/users/${u.id}/password`)
      .set('authorization', `Bearer ${admin}`)
      .send({ password: 'second-password', keepApiKeys: true })
      .expect(204);
    await request(app).get('/api/auth/me').set('authorization', `Bearer ${u.token}`).expect(401);
    await request(app).get('/api/auth/me').set('x-api-key', u.key).expect(200);
  });

  it('does not revive sessions or API keys issued before a disable when the user is enabled again', async () => {
    const u = await aUserWithCredentials();
    const patch = (disabled: boolean) => request(app).patch(`/api/users/${u.id}`).set('authorization', `Bearer ${admin}`).send({ disabled }).expect(200);
    await patch(true);
    await request(app).get('/api/auth/me').set('x-api-key', u.key).expect(401);
    await patch(false);
    await request(app).get('/api/auth/me').set('x-api-key', u.key).expect(401);
    await request(app).get('/api/auth/me').set('authorization', `Bearer ${u.token}`).expect(401);
    const fresh = (await request(app).post('/api/auth/login').send({ username: u.username, password: 'first-password' }).expect(200)).body.token;
    await request(app).get('/api/auth/me').set('authorization', `Bearer ${fresh}`).expect(200);
  });
});
