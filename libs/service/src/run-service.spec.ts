import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createPgDb, type MigrationSet } from '@llmp/db';
import { createServiceApp } from './create-service-app';
import { runService, type ServiceDefinition } from './run-service';

const migrations: MigrationSet = {
  schema: 'sample_service',
  migrations: [{ version: 1, name: 'things', sql: 'create table sample_service.things (id text primary key);' }],
};

const definition: ServiceDefinition = {
  name: 'sample-service',
  defaultPort: 0,
  migrations: [migrations],
  createApp: ({ db, log, config, isReady }) =>
    createServiceApp({ db, log, internalSecret: config.LLMP_INTERNAL_SECRET, isReady }, { service: 'sample-service', area: 'sample', migrations, routes: [] }),
};

describe('runService', () => {
  it('refuses to start without a database and names the variable', async () => {
    await expect(runService(definition, { env: { LLMP_INTERNAL_SECRET: 'x'.repeat(32) }, argv: [] })).rejects.toThrow(/LLMP_DATABASE_URL \(or DATABASE_URL\) is required/);
  });

  it('lists every bad variable at once', async () => {
    await expect(runService(definition, { env: { LLMP_PORT: 'http' }, argv: [] })).rejects.toThrow(/LLMP_PORT[\s\S]*LLMP_INTERNAL_SECRET/);
  });
});

const url = process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'];

// A service alone needs a real Postgres server; CI provides one through DATABASE_URL.
(url ? describe : describe.skip)('runService against Postgres', () => {
  const admin = () => createPgDb({ connectionString: url!, poolSize: 1 });
  const name = `llmp_svc_${randomBytes(4).toString('hex')}`;
  let env: Record<string, string>;

  beforeAll(async () => {
    const db = admin();
    await db.exec(`create database ${name}`);
    await db.close();
    const target = new URL(url!);
    target.pathname = `/${name}`;
    env = { LLMP_DATABASE_URL: target.toString(), LLMP_INTERNAL_SECRET: 's'.repeat(32), LLMP_PORT: '0', LLMP_LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    const db = admin();
    await db.exec(`drop database if exists ${name} with (force)`);
    await db.close();
  });

  it('runs migrations alone with `migrate` and exits', async () => {
    expect(await runService(definition, { env, argv: ['migrate'] })).toBeNull();
  });

  it('serves health and readiness, and stops cleanly', async () => {
    const running = await runService(definition, { env, argv: [] });
    try {
      const health = await request(running!.server.url).get('/healthz').expect(200);
      expect(health.body.checks.database.status).toBe('up');
      await request(running!.server.url).get('/readyz').expect(200, { ready: true, service: 'sample-service' });
    } finally {
      await running!.stop();
    }
  });
});
