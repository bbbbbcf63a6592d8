import { spawnSync } from 'node:child_process';
import { testDatabases } from '@llmp/db/testing';

/**
 * The test Postgres of DATABASE_URL when it offers pgvector, else undefined.
 * Asked synchronously, before suites are declared, so that a store that is
 * not there shows as skipped rather than passed.
 */
export function postgresWithPgvector() {
  const url = process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'];
  const postgres = testDatabases().find((d) => d.name === 'postgres');
  if (!url || !postgres) return undefined;
  const probe = spawnSync(
    process.execPath,
    ['-e', `const {Client}=require('pg');const c=new Client(process.argv[1]);c.connect().then(()=>c.query("select 1 from pg_available_extensions where name='vector'")).then(r=>{console.log(r.rows.length?'yes':'no');return c.end()}).catch(e=>{console.log('error '+e.message);process.exit(0)})`, url],
    { encoding: 'utf8', timeout: 15_000 },
  );
  return probe.stdout.trim() === 'yes' ? postgres : undefined;
}
