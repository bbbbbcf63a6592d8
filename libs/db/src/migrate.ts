import { createHash } from 'node:crypto';
import type { Db } from './db';

export interface Migration {
  /** Applied in ascending order; never renumber one that has shipped. */
  version: number;
  name: string;
  sql: string;
}

export interface MigrationSet {
  /** The Postgres schema this set owns; its bookkeeping table lives there too. */
  schema: string;
  migrations: Migration[];
}

export interface MigrationReport {
  schema: string;
  applied: Array<{ version: number; name: string; ms: number }>;
  current: number;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

function validate({ schema, migrations }: MigrationSet): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new MigrationError(`invalid schema name "${schema}"`);
  const seen = new Set<number>();
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version < 1) {
      throw new MigrationError(`${schema}: migration "${m.name}" has an invalid version ${m.version}`);
    }
    if (seen.has(m.version)) throw new MigrationError(`${schema}: version ${m.version} is used twice`);
    seen.add(m.version);
  }
}

/**
 * Brings one schema up to date. Each migration runs in its own transaction
 * with its bookkeeping row, under a lock, so services starting together
 * never apply one twice. A migration whose text changed after it was applied
 * is reported rather than silently skipped.
 */
export async function migrate(db: Db, set: MigrationSet): Promise<MigrationReport> {
  validate(set);
  const { schema } = set;
  const ordered = [...set.migrations].sort((a, b) => a.version - b.version);
  return db.withLock(`llmp:migrate:${schema}`, async (locked) => {
    await locked.exec(`
      create schema if not exists ${schema};
      create table if not exists ${schema}.schema_migrations (
        version integer primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      );
    `);
    const { rows } = await locked.query<{ version: number; name: string; checksum: string }>(
      `select version, name, checksum from ${schema}.schema_migrations order by version`,
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    for (const m of ordered) {
      const row = done.get(m.version);
      if (row && row.checksum !== checksum(m.sql)) {
        throw new MigrationError(
          `${schema}: migration ${m.version} (${m.name}) was changed after it was applied; add a new migration instead`,
        );
      }
    }
    const applied: MigrationReport['applied'] = [];
    for (const m of ordered) {
      if (done.has(m.version)) continue;
      const started = performance.now();
      try {
        await locked.transaction(async (tx) => {
          await tx.exec(m.sql);
          await tx.query(`insert into ${schema}.schema_migrations (version, name, checksum) values ($1, $2, $3)`, [
            m.version,
            m.name,
            checksum(m.sql),
          ]);
        });
      } catch (error) {
        throw new MigrationError(
          `${schema}: migration ${m.version} (${m.name}) failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
      applied.push({ version: m.version, name: m.name, ms: Math.round(performance.now() - started) });
    }
    const current = ordered.length ? ordered[ordered.length - 1].version : 0;
    return { schema, applied, current: Math.max(current, ...rows.map((r) => r.version)) };
  });
}

export async function currentVersion(db: Db, schema: string): Promise<number> {
  const { rows } = await db.query<{ version: number | null }>(
    `select max(version) as version from ${schema}.schema_migrations`,
  );
  return rows[0]?.version ?? 0;
}
