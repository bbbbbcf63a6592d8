import type PgBoss from 'pg-boss';
import type { Db } from '@llmp/db';

export interface BossDb extends PgBoss.Db {
  /** Resolves once every statement issued so far has settled. */
  drain(): Promise<void>;
}

/**
 * Lets pg-boss run its SQL through our `Db`, so it works the same on a
 * Postgres pool and on embedded PGlite.
 */
export function createBossDb(db: Db): BossDb {
  const inFlight = new Set<Promise<unknown>>();

  function run(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> {
    if (values && values.length > 0) return db.query(text, values);
    // Parameterless SQL is where pg-boss sends its migrations and maintenance:
    // several statements in one string, with their own BEGIN/COMMIT, which only
    // the simple protocol (`exec`) accepts.
    if (db.kind === 'pglite') {
      // On PGlite a statement that fails inside such a string leaves the one
      // session in an aborted transaction, and every later query of every
      // caller fails until a ROLLBACK (Postgres cleans up by itself). Running
      // the string inside our transaction rolls it back before anyone else
      // can query, since PGlite holds other queries while a transaction is
      // open; the nested BEGIN/COMMIT only raise warnings.
      return db.transaction((tx) => tx.exec(text));
    }
    return db.exec(text);
  }

  return {
    executeSql(text: string, values?: unknown[]) {
      const pending = run(text, values);
      inFlight.add(pending);
      pending.then(
        () => inFlight.delete(pending),
        () => inFlight.delete(pending),
      );
      return pending;
    },
    async drain() {
      // Statements settling may start others (maintenance goes expire →
      // archive → drop); a few rounds see them all.
      for (let round = 0; round < 10 && inFlight.size > 0; round++) {
        await Promise.allSettled([...inFlight]);
      }
    },
  };
}
