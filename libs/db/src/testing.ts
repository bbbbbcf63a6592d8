import { randomBytes } from 'node:crypto';
import type { Db } from './db';
import { createPgDb } from './pg-db';
import { createPgliteDb } from './pglite-db';

export interface TestDatabase {
  name: 'pglite' | 'pglite on its own thread' | 'postgres';
  /** Opens a fresh, isolated database; `close` drops what it created. */
  open(): Promise<{ db: Db; close(): Promise<void> }>;
}

const pglite: TestDatabase = {
  name: 'pglite',
  async open() {
    const db = await createPgliteDb();
    return { db, close: () => db.close() };
  },
};

/** The embedded database as the platform runs it: on a thread of its own. */
export const pgliteThread: TestDatabase = {
  name: 'pglite on its own thread',
  async open() {
    const db = await createPgliteDb({ thread: true });
    return { db, close: () => db.close() };
  },
};

/**
 * Real Postgres from DATABASE_URL: each test database is a new database in
 * that cluster, dropped afterwards, so suites never see each other's rows.
 */
function postgres(url: string): TestDatabase {
  return {
    name: 'postgres',
    async open() {
      const admin = createPgDb({ connectionString: url, poolSize: 1 });
      const name = `llmp_test_${randomBytes(6).toString('hex')}`;
      await admin.exec(`create database ${name}`);
      const target = new URL(url);
      target.pathname = `/${name}`;
      const db = createPgDb({ connectionString: target.toString(), poolSize: 5 });
      return {
        db,
        async close() {
          await db.close();
          await admin.exec(`drop database if exists ${name} with (force)`);
          await admin.close();
        },
      };
    },
  };
}

/** PGlite always; real Postgres too when DATABASE_URL (or LLMP_DATABASE_URL) is set. */
export function testDatabases(env: Record<string, string | undefined> = process.env): TestDatabase[] {
  const url = env['LLMP_DATABASE_URL'] ?? env['DATABASE_URL'];
  return url ? [pglite, postgres(url)] : [pglite];
}
