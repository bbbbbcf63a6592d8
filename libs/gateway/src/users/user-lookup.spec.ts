import request from 'supertest';
import { createAuthService } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import type { HttpApp } from '@llmp/http';
import { createGatewayApp, gatewayMigrations } from '../index';

const log = createLogger({ name: 'test', level: 'silent' });
const dead = 'http://127.0.0.1:9';

describe('finding users by username (GET /api/users/lookup)', () => {
  let db: Db;
  let app: HttpApp;
  let userToken: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await createPgliteDb();
    await migrate(db, gatewayMigrations);
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST });
    for (const username of ['alice', 'alicia', 'Albert', 'bob', 'al_x', 'alzzz', 'gone-al']) {
      ids[username] = (await auth.createUser({ username, password: 'a-password', role: 'user' })).id;
    }
    await auth.createUser({ username: 'alfred', password: 'a-password', role: 'admin' });
    app = createGatewayApp({ db, log, auth, internalSecret: 'g'.repeat(32), services: { ingestion: dead, structuring: dead, training: dead, agents: dead, dashboard: dead } });
    userToken = (await request(app).post('/api/auth/login').send({ username: 'bob', password: 'a-password' }).expect(200)).body.token;
    const adminToken = (await request(app).post('/api/auth/login').send({ username: 'alfred', password: 'a-password' }).expect(200)).body.token;
    await request(app).patch(`/api/users/${ids.alzzz}`).set('authorization', `Bearer ${adminToken}`).send({ disabled: true }).expect(200);
  }, 120_000);
  afterAll(() => db.close());

  const lookup = (username: string) => request(app).get(`/api/users/lookup?username=${encodeURIComponent(username)}`).set('authorization', `Bearer ${userToken}`);

  it('lets a plain user find enabled users by the start of their username, any case, with ids and usernames only', async () => {
    const res = await lookup('AL').expect(200);
    expect(res.body.data.map((u: { username: string }) => u.username)).toEqual(['al_x', 'alice', 'Albert', 'alfred', 'alicia']);
    expect(res.body.data[1]).toEqual({ id: ids.alice, username: 'alice' });
    expect(JSON.stringify(res.body)).not.toMatch(/role|password|disabled/);
  });

  it('takes "_" and "%" literally rather than as patterns', async () => {
    expect((await lookup('al_').expect(200)).body.data).toEqual([{ id: ids.al_x, username: 'al_x' }]);
    expect((await lookup('%').expect(200)).body.data).toEqual([]);
  });

  it('refuses a lookup without a username with 400 naming the parameter', async () => {
    const res = await request(app).get('/api/users/lookup').set('authorization', `Bearer ${userToken}`).expect(400);
    expect(res.body.error.message).toContain('query.username');
  });

  it('answers 401 without a session, and keeps the full user list for admins (403)', async () => {
    await request(app).get('/api/users/lookup?username=al').expect(401);
    await request(app).get('/api/users').set('authorization', `Bearer ${userToken}`).expect(403);
  });
});
