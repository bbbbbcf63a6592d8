import { randomBytes } from 'node:crypto';
import { createPgDb } from './pg-db';

const url = process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'];

(url ? describe : describe.skip)('Postgres connection pool', () => {
  it('keeps two connections open between polls and closes the others when idle', async () => {
    const applicationName = `llmp-pool-${randomBytes(4).toString('hex')}`;
    const db = createPgDb({ connectionString: url!, poolSize: 4, applicationName, idleTimeoutMs: 200 });
    const observer = createPgDb({ connectionString: url!, poolSize: 1, applicationName: `${applicationName}-observer` });
    const backends = async () =>
      (await observer.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 order by pid', [applicationName])).rows.map((r) => r.pid);
    try {
      // Four statements at once open four connections.
      await Promise.all([1, 2, 3, 4].map(() => db.query('select pg_sleep(0.2)')));
      expect(await backends()).toHaveLength(4);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const kept = await backends();
      expect(kept).toHaveLength(2);
      // A poll after the quiet spell runs on a connection that was kept, not on a new one.
      const { rows } = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect(kept).toContain(rows[0].pid);
    } finally {
      await db.close();
      await observer.close();
    }
  });
});
