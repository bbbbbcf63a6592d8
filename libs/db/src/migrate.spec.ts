import { pgliteThread, testDatabases } from '@llmp/db/testing';
import { currentVersion, migrate, MigrationError, type MigrationSet } from './index';

const set: MigrationSet = {
  schema: 'sample',
  migrations: [
    { version: 1, name: 'items', sql: 'create table sample.items (id text primary key, title text not null);' },
    {
      version: 2,
      name: 'metadata',
      sql: `alter table sample.items add column metadata jsonb not null default '{}';
            create index items_metadata_idx on sample.items using gin (metadata);`,
    },
  ],
};

describe.each([...testDatabases(), pgliteThread])('migrate on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  beforeEach(async () => {
    handle = await database.open();
  });
  afterEach(() => handle.close());

  it('applies every migration once and records the version', async () => {
    const report = await migrate(handle.db, set);
    expect(report.applied.map((m) => m.version)).toEqual([1, 2]);
    expect(await currentVersion(handle.db, 'sample')).toBe(2);
    const again = await migrate(handle.db, set);
    expect(again.applied).toEqual([]);
    await handle.db.query(`insert into sample.items (id, title, metadata) values ('a', 'x', '{"k": 1}')`);
    const { rows } = await handle.db.query<{ n: number }>('select count(*)::int as n from sample.items');
    expect(rows[0].n).toBe(1);
  });

  it('is safe when two starts migrate at the same moment', async () => {
    const [a, b] = await Promise.all([migrate(handle.db, set), migrate(handle.db, set)]);
    expect([...a.applied, ...b.applied].map((m) => m.version).sort()).toEqual([1, 2]);
  });

  it('rolls back a failing migration and names it', async () => {
    const broken: MigrationSet = {
      schema: 'sample',
      migrations: [...set.migrations, { version: 3, name: 'broken', sql: 'alter table sample.nope add column x int;' }],
    };
    await expect(migrate(handle.db, broken)).rejects.toThrow(/sample: migration 3 \(broken\) failed/);
    expect(await currentVersion(handle.db, 'sample')).toBe(2);
  });

  it('refuses a migration whose text changed after it was applied', async () => {
    await migrate(handle.db, set);
    const edited: MigrationSet = {
      schema: 'sample',
      migrations: [{ ...set.migrations[0], sql: set.migrations[0].sql + ' ' }, set.migrations[1]],
    };
    await expect(migrate(handle.db, edited)).rejects.toBeInstanceOf(MigrationError);
  });

  it('rejects duplicate versions before touching the database', async () => {
    const dup: MigrationSet = { schema: 'sample', migrations: [set.migrations[0], { ...set.migrations[0], name: 'again' }] };
    await expect(migrate(handle.db, dup)).rejects.toThrow(/version 1 is used twice/);
  });
});

describe.each([...testDatabases(), pgliteThread])('Db on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  beforeAll(async () => {
    handle = await database.open();
    await handle.db.exec('create table t (id int primary key, n bigint)');
  });
  afterAll(() => handle.close());

  it('commits a transaction and rolls back a failed one', async () => {
    await handle.db.transaction(async (tx) => {
      await tx.query('insert into t values ($1, $2)', [1, 10]);
    });
    await expect(
      handle.db.transaction(async (tx) => {
        await tx.query('insert into t values ($1, $2)', [2, 20]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await handle.db.query<{ id: number; n: number }>('select id, n from t order by id');
    expect(rows).toEqual([{ id: 1, n: 10 }]);
  });

  it('returns the last result of a multi-statement exec', async () => {
    const result = await handle.db.exec<{ x: number }>('select 1 as x; select 2 as x');
    expect(result.rows).toEqual([{ x: 2 }]);
  });
});

describe.each([...testDatabases().filter((d) => d.name === 'pglite'), pgliteThread])('embedded $name', (database) => {
  it('ships the pgvector extension', async () => {
    const handle = await database.open();
    try {
      await handle.db.exec('create extension if not exists vector');
      const { rows } = await handle.db.query<{ d: number }>(`select ('[1,0,0]'::vector <=> '[0,1,0]'::vector) as d`);
      expect(rows[0].d).toBeCloseTo(1);
    } finally {
      await handle.close();
    }
  });
});

describe('the embedded database on its own thread', () => {
  it('delivers notifications, keeps a transaction to itself, and reports what a statement violated', async () => {
    const { db, close } = await pgliteThread.open();
    try {
      await db.exec('create table u (name text primary key)');
      const heard: string[] = [];
      const sub = await db.listen('events', { onNotify: (payload) => heard.push(payload) });
      let outside!: Promise<{ rows: Array<{ n: number }> }>;
      await db.transaction(async (tx) => {
        await tx.query(`select pg_notify('events', $1)`, ['inside']);
        await tx.query('insert into u values ($1)', ['ada']);
        // Another caller waits for the transaction rather than seeing its rows half-way.
        outside = db.query<{ n: number }>('select count(*)::int as n from u');
        await tx.query('insert into u values ($1)', ['grace']);
      });
      expect((await outside).rows[0].n).toBe(2);
      await db.query(`select pg_notify('events', $1)`, ['after']);
      for (let i = 0; i < 50 && heard.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(heard).toEqual(['inside', 'after']);
      await sub.close();
      const error = await db.query('insert into u values ($1)', ['ada']).catch((e: unknown) => e as Record<string, unknown>);
      expect(error).toMatchObject({ code: '23505', constraint: 'u_pkey' });
      expect(JSON.stringify(error)).not.toContain('ada');
    } finally {
      await close();
    }
  });

  it('answers other callers while a long statement runs', async () => {
    const { db, close } = await pgliteThread.open();
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      await db.query('select count(*) from generate_series(1, 3000000)');
      clearInterval(timer);
      // On the serving thread this statement would have let no timer run until it finished.
      expect(ticks).toBeGreaterThan(5);
    } finally {
      await close();
    }
  });
});
