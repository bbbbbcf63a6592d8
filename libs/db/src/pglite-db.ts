import { Worker } from 'node:worker_threads';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { workerEntry } from '@llmp/core';
import type { Db, NotificationHandlers, QueryResult, Subscription } from './db';
import type { DbCall, DbRequest, DbResponse, QueryRows, ThreadInit } from './pglite-thread-protocol';
import { redactQueryError } from './query-error';

export interface PgliteDbOptions {
  /** Directory that holds the data; omit for an in-memory database. */
  dataDir?: string;
  /**
   * Run the database on a thread of its own. PGlite executes SQL on the
   * thread that calls it, so a long statement (an index build, a large
   * insert) would otherwise stall every request the process serves.
   */
  thread?: boolean;
}

type Queryable = PGlite | Transaction;

const parsers = { [types.INT8]: (value: string) => Number(value) };

const IDENTIFIER = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** The COPY statement that reads PGlite's blob device; names are checked, since they cannot be parameters. */
function copySql(table: string, columns: string[]): string {
  for (const name of [table, ...columns]) {
    if (!IDENTIFIER.test(name)) throw new Error(`invalid identifier for copy: "${name}"`);
  }
  return `copy ${table} (${columns.join(', ')}) from '/dev/blob' with (format binary)`;
}

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
    async copyBinary(table: string, columns: string[], data: Uint8Array): Promise<number> {
      const sql = copySql(table, columns);
      const result = await client.query(sql, [], { blob: new Blob([data]) }).catch((error: unknown) => {
        throw redactQueryError(error, sql);
      });
      return result.affectedRows ?? 0;
    },
    async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
      if (client !== root) return inSavepoint(db, work);
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

/** A transaction inside a transaction: a savepoint, released on success and rolled back to on failure. */
async function inSavepoint<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const name = `sp_${Math.random().toString(36).slice(2, 10)}`;
  await db.exec(`savepoint ${name}`);
  try {
    const result = await work(db);
    await db.exec(`release savepoint ${name}`);
    return result;
  } catch (error) {
    await db.exec(`rollback to savepoint ${name}`);
    throw error;
  }
}

const lockChains = new WeakMap<PGlite, Promise<void>>();

export async function createPgliteDb({ dataDir, thread = false }: PgliteDbOptions = {}): Promise<Db> {
  if (thread) return createThreadedPgliteDb({ dataDir });
  const pglite = await PGlite.create({ dataDir, extensions: { vector } });
  return wrap(pglite, pglite);
}

interface Pending {
  resolve(response: Extract<DbResponse, { kind: 'ok' }>): void;
  reject(error: Error): void;
}

async function createThreadedPgliteDb(init: ThreadInit): Promise<Db> {
  const { filename, execArgv } = workerEntry(__dirname, 'pglite-thread');
  const worker = new Worker(filename, { execArgv, workerData: init });
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let nextId = 1;
  let stopped: Error | null = null;

  const ready = new Promise<void>((resolve, reject) => pending.set(0, { resolve: () => resolve(), reject }));
  worker.on('message', (message: DbResponse) => {
    if (message.kind === 'notify') {
      for (const handler of listeners.get(message.channel) ?? []) handler(message.payload);
      return;
    }
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.kind === 'ok') waiter?.resolve(message);
    else waiter?.reject(Object.assign(new Error(message.error.message), message.error));
  });
  const fail = (error: Error) => {
    stopped = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', (error) => fail(new Error(`the embedded database thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => fail(new Error(`the embedded database thread has stopped (exit code ${code})`)));

  const call = (request: DbCall): Promise<Extract<DbResponse, { kind: 'ok' }>> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id } as DbRequest);
    });
  };
  const rows = <R>(result: QueryRows | undefined): QueryResult<R> => ({ rows: (result?.rows ?? []) as R[], rowCount: result?.rowCount ?? 0 });

  try {
    await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }

  let lock = Promise.resolve();
  function threaded(tx: number | null): Db {
    const db: Db = {
      kind: 'pglite',
      async query<R>(sql: string, params: unknown[] = []) {
        const response = await call({ op: 'query', tx, sql, params }).catch((error: unknown) => {
          throw redactQueryError(error, sql, params);
        });
        return rows<R>(response.result);
      },
      async exec<R>(sql: string) {
        const response = await call({ op: 'exec', tx, sql }).catch((error: unknown) => {
          throw redactQueryError(error, sql);
        });
        return rows<R>(response.result);
      },
      async copyBinary(table: string, columns: string[], data: Uint8Array): Promise<number> {
        const sql = copySql(table, columns);
        const response = await call({ op: 'copy', tx, sql, data }).catch((error: unknown) => {
          throw redactQueryError(error, sql);
        });
        return response.result?.rowCount ?? 0;
      },
      async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
        if (tx !== null) return inSavepoint(db, work);
        const { tx: id } = await call({ op: 'begin' });
        let result: T;
        try {
          result = await work(threaded(id!));
        } catch (error) {
          await call({ op: 'end', tx: id!, commit: false });
          throw error;
        }
        await call({ op: 'end', tx: id!, commit: true });
        return result;
      },
      async withLock<T>(_key: string, work: (db: Db) => Promise<T>): Promise<T> {
        // One database in this process: a promise chain keeps two callers from interleaving.
        const previous = lock;
        let release!: () => void;
        lock = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
        await previous;
        try {
          return await work(db);
        } finally {
          release();
        }
      },
      async listen(channel: string, { onNotify }: NotificationHandlers): Promise<Subscription> {
        let handlers = listeners.get(channel);
        if (!handlers) {
          handlers = new Set();
          listeners.set(channel, handlers);
          await call({ op: 'listen', channel });
        }
        handlers.add(onNotify);
        return {
          async close() {
            handlers.delete(onNotify);
            if (handlers.size === 0 && listeners.get(channel) === handlers) {
              listeners.delete(channel);
              if (!stopped) await call({ op: 'unlisten', channel });
            }
          },
        };
      },
      async ping() {
        await db.query('select 1');
      },
      async close() {
        if (tx !== null || stopped) return;
        await call({ op: 'close' });
        await worker.terminate();
      },
    };
    return db;
  }
  return threaded(null);
}
