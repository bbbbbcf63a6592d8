import request from 'supertest';
import { createAuthService, type AuthServiceDeps } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger, sleep } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { createGatewayApp, gatewayMigrations } from '../index';

const log = createLogger({ name: 'test', level: 'silent' });
const dead = 'http://127.0.0.1:9';

describe('login', () => {
  let db: Db;

  beforeAll(async () => {
    db = await createPgliteDb();
    await migrate(db, gatewayMigrations);
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST });
    await auth.createUser({ username: 'alice', password: 'alice-password', role: 'user' });
    await auth.createUser({ username: 'bob', password: 'bob-password', role: 'user' });
 
  }, 120_000);
  afterAll(() => db.close());

  function aGateway(deps: Partial<AuthServiceDeps> = {}) {
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST, ...deps });
    const app = createGatewayApp({ db, log, auth, internalSecret: 'g'.repeat(32), services: { ingestion: dead, structuring: dead, training: dead, agents: dead, dashboard: dead } });
    // Loopback is a trusted proxy, so X-Forwarded-For names the client as it would behind nginx.
    return (username: string, password: string, client = '198.51.100.7') =>
      request(app).post('/api/auth/login').set('x-forwarded-for', client).send({ username, password });
  }

  it('answers 429 with Retry-After to 30 wrong passwords in a row, and to the right one after them', async () => {
    const login = aGateway();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await login('alice', `wrong-${i}`)).status);
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6).every((s) => s === 429)).toBe(true);
    const right = await login('alice', 'alice-password').expect(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(right.body).toEqual({
      error: { code: 'too_many_login_attempts', message: expect.stringMatching(/^too many failed logins; try again in \d+ s$/) },
      requestId: expect.any(String),
    });
  });

  it('lets the right password in once the delay has passed, and the success clears the username counter', async () => {
    const login = aGateway({ loginThrottle: { username: { freeFailures: 2, baseDelayMs: 300, maxDelayMs: 600 } } });
    for (let i = 0; i < 3; i++) await login('bob', 'wrong-password').expect(401);
    await login('bob', 'bob-password').expect(429);
    await sleep(400);
    await login('bob', 'bob-password').expect(200);
    await login('bob', 'wrong-password').expect(401);
    await login('bob', 'wrong-password').expect(401);
  });

  it('throttles one client trying many usernames without slowing other clients', async () => {
    const login = aGateway({ loginThrottle: { client: { freeFailures: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 } } });
    for (const name of ['carol', 'dave', 'erin', 'frank']) await login(name, 'guess-password', '203.0.113.5').expect(401);
    const refused = await login('grace', 'guess-password', '203.0.113.5').expect(429);
    expect(refused.headers['retry-after']).toBe('60');
    await login('grace', 'guess-password', '203.0.113.6').expect(401);
    await login('alice', 'alice-password', '203.0.113.6').expect(200);
  });

  it('answers 503 with Retry-After when more password checks wait than the hashing queue holds', async () => {
    // The real scrypt cost (128 MiB, about a second): one hash at a time, one waiting.
    const login = aGateway({ passwordCost: undefined, passwordHashing: { concurrency: 1, maxQueue: 1 } });
    const answers = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((name, i) => login(name, 'guess-password', `192.0.2.${i + 1}`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([401, 401, 503, 503]);
    const busy = answers.find((a) => a.status === 503)!;
    expect(busy.headers['retry-after']).toBe('2');
    expect(busy.body.error.code).toBe('password_hashing_busy');
  });
});
