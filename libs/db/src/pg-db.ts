import pg from 'pg';
import type { Db, NotificationHandlers, QueryResult, Subscription } from './db';
import { redactQueryError } from './query-error';

// Bigint columns (counts, sizes) fit comfortably in a JS number for our data.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PgDbOptions {
  connectionString: string;
  poolSize?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
  /** A connection beyond the two kept open is closed after this long unused (30 s). */
  idleTimeoutMs?: number;
}

type Queryable = pg.Pool | pg.PoolClient;

type Listen = (channel: string, handlers: NotificationHandlers) => Promise<Subscription>;

function wrap(client: Queryable, pool: pg.Pool, listen: Listen, inTransaction = false): Db {
  const db: Db = {
    kind: 'postgres',
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const result = await client.query(sql, params as unknown[]).catch((error: unknown) => {
        throw redactQueryError(error, sql, params);
      });
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
    async exec<R>(sql: string): Promise<QueryResult<R>> {
      const result = (await client.query(sql).catch((error: unknown) => {
        throw redactQueryError(error, sql);
      })) as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? 0 };
    },
    async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
      if (inTransaction) {
        // Already inside a transaction: nest with a savepoint.
        const name = `sp_${Math.random().toString(36).slice(2, 10)}`;
        await client.query(`savepoint ${name}`);
        try {
          const result = await work(db);
          await client.query(`release savepoint ${name}`);
          return result;
        } catch (error) {
          await client.query(`rollback to savepoint ${name}`);
          throw error;
        }
      }
      const dedicated = client !== pool;
      const conn = dedicated ? (client as pg.PoolClient) : await pool.connect();
      try {
        await conn.query('begin');
        const result = await work(wrap(conn, pool, listen, true));
        await conn.query('commit');
        return result;
      } catch (error) {
        await conn.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        if (!dedicated) conn.release();
      }
    },
    async withLock<T>(key: string, work: (db: Db) => Promise<T>): Promise<T> {
      const conn = await pool.connect();
      try {
        await conn.query('select pg_advisory_lock(hashtext($1))', [key]);
        try {
          return await work(wrap(conn, pool, listen));
        } finally {
          await conn.query('select pg_advisory_unlock(hashtext($1))', [key]);
        }
      } finally {
        conn.release();
      }
    },
    listen,
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (client === pool) await pool.end();
    },
  };
  return db;
}

export function createPgDb({ connectionString, poolSize = 10, applicationName = 'llmp', statementTimeoutMs, idleTimeoutMs = 30_000 }: PgDbOptions): Db {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    // Queue workers and runners poll every 10 s, and node-postgres closes a connection idle for 10 s by
    // default: every poll of an idle service opened a new one (a Postgres backend forked, SCRAM on both
    // sides, catalog caches loaded). Two connections stay, the rest go after a quiet half-minute.
    min: Math.min(2, poolSize),
    idleTimeoutMillis: idleTimeoutMs,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
  });
  // An idle client losing its connection (database restart) must not kill the process.
  pool.on('error', () => undefined);
  return wrap(pool, pool, (channel, handlers) => listenOn({ connectionString, applicationName }, channel, handlers));
}

/** A pooled connection would be handed to other queries between messages, so listening takes a client of its own. */
async function listenOn(options: { connectionString: string; applicationName: string }, channel: string, handlers: NotificationHandlers): Promise<Subscription> {
  const client = new pg.Client({ connectionString: options.connectionString, application_name: `${options.applicationName}-listen`, connectionTimeoutMillis: 10_000 });
  let closing = false;
  let lost = false;
  const lose = (error: Error) => {
    if (closing || lost) return;
    lost = true;
    handlers.onLost?.(error);
    client.end().catch(() => undefined);
  };
  client.on('error', lose);
  client.on('end', () => lose(new Error('the listening connection ended')));
  client.on('notification', (message) => {
    if (message.channel === channel) handlers.onNotify(message.payload ?? '');
  });
  try {
    await client.connect();
    await client.query(`listen ${client.escapeIdentifier(channel)}`);
  } catch (error) {
    closing = true;
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    async close() {
      closing = true;
      await client.end().catch(() => undefined);
    },
  };
}
