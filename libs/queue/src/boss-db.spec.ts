import { testDatabases } from '@llmp/db/testing';
import { createBossDb } from './boss-db';

describe.each(testDatabases())('createBossDb on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  beforeAll(async () => {
    handle = await database.open();
  });
  afterAll(() => handle.close());

  it('runs parameterless multi-statement scripts and answers with the last result', async () => {
    const bossDb = createBossDb(handle.db);
    await bossDb.executeSql('BEGIN; create table t (n int); insert into t values (1), (2); COMMIT;', []);
    const { rows } = await bossDb.executeSql('select count(*)::int as n from t; select 7 as x', []);
    expect(rows).toEqual([{ x: 7 }]);
    const params = await bossDb.executeSql('select n from t where n = $1', [2]);
    expect(params.rows).toEqual([{ n: 2 }]);
  });

  it('leaves the database usable after a failing script with its own transaction', async () => {
    const bossDb = createBossDb(handle.db);
    const failing = bossDb.executeSql('BEGIN; select 1/0; COMMIT;', []);
    // Queued behind the failing script, as a worker's poll would be.
    const next = bossDb.executeSql('select $1::int as x', [1]);
    await expect(failing).rejects.toThrow('division by zero');
    await expect(next).resolves.toMatchObject({ rows: [{ x: 1 }] });
    await bossDb.drain();
  });
});
