import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import type { Db, NotificationHandlers, QueryResult, Subscription } from './db';
import { redactQueryError } from './query-error';

export interface PgliteDbOptions {
  /** Directory that holds the data; omit for an in-memory database. */
  dataDir?: string;
}

type Queryable = PGlite | Transaction;

const parsers = { [types.INT8]: (value: string) => Number(value) };

function wrap(client: Queryable, root: PGlite): Db {
  const db: Db = {
    kind: 'pglite',
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const result = await client.query<R>(sql, params as unknown[], { parsers }).catch((error: unknown) => {
        throw redactQueryError(error, sql, params);
      });
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec<R>(sql: string): Promise<QueryResult<R>> {
      const results = await client.exec(sql, { parsers }).catch((error: unknown) => {
        throw redactQueryError(error, sql);
      });
      const last = results[results.length - 1];
      return { rows: (last?.rows ?? []) as R[], rowCount: last?.affectedRows ?? last?.rows.length ?? 0 };
    },
    async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
      if (client !== root) {
        const name = `sp_${Math.random().toString(36).slice(2, 10)}`;
        await client.exec(`savepoint ${name}`);
        try {
          const result = await work(db);
          await client.exec(`release savepoint ${name}`);
          return result;
        } catch (error) {
          await client.exec(`rollback to savepoint ${name}`);
          throw error;
        }
      }
      return root.transaction((tx) => work(wrap(tx, root)));
    },
    async withLock<T>(_key: string, work: (db: Db) => Promise<T>): Promise<T> {
      // PGlite lives in this one process and serializes queries itself; a
      // promise chain is enough to keep two callers from interleaving.
      const previous = lockChains.get(root) ?? Promise.resolve();
      let release!: () => void;
      const next = new Promise<void>((resolve) => (release = resolve));
      lockChains.set(root, previous.then(() => next));
      await previous;
      try {
        return await work(db);
      } finally {
        release();
      }
    },
    async listen(channel: string, { onNotify }: NotificationHandlers): Promise<Subscription> {
      // One backend in this process: its connection cannot be lost apart from closing the database.
      const unsubscribe = await root.listen(channel, onNotify);
      return {
        async close() {
          if (!root.closed) await unsubscribe();
        },
      };
    },
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (client === root && !root.closed) await root.close();
    },
  };
  return db;
}

const lockChains = new WeakMap<PGlite, Promise<void>>();

export async function createPgliteDb({ dataDir }: PgliteDbOptions = {}): Promise<Db> {
  const pglite = await PGlite.create({ dataDir, extensions: { vector } });
  return wrap(pglite, pglite);
}
