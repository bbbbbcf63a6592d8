import { spawnSync } from 'node:child_process';
import { createPgDb, createPgliteDb, type Db } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import { createMilvusStore } from './milvus-store';
import { createPgvectorStore } from './pgvector-store';
import { describeVectorStoreContract } from './vector-store.contract';
import { VectorStoreUnavailableError, type VectorStore } from './vector-store';

const postgresUrl = process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'];
const milvusAddress = process.env['LLMP_MILVUS_ADDRESS'] ?? process.env['MILVUS_ADDRESS'];

/**
 * Whether the Postgres of DATABASE_URL offers pgvector, asked before the
 * suites are declared so an unavailable store shows as skipped, not passed.
 */
function postgresHasPgvector(url: string): boolean {
  const probe = spawnSync(
    process.execPath,
    ['-e', `const {Client}=require('pg');const c=new Client(process.argv[1]);c.connect().then(()=>c.query("select 1 from pg_available_extensions where name='vector'")).then(r=>{console.log(r.rows.length?'yes':'no');return c.end()}).catch(e=>{console.log('error '+e.message);process.exit(0)})`, url],
    { encoding: 'utf8', timeout: 15_000 },
  );
  return probe.stdout.trim() === 'yes';
}

const postgres = testDatabases().find((d) => d.name === 'postgres');
const postgresVector = postgres && postgresUrl ? postgresHasPgvector(postgresUrl) : false;

function pgvectorHarness(open: () => Promise<{ db: Db; close(): Promise<void> }>) {
  let handle: { db: Db; close(): Promise<void> };
  let store: VectorStore;
  return {
    async open(): Promise<VectorStore> {
      handle = await open();
      store = await createPgvectorStore({ db: handle.db });
      return store;
    },
    close: () => handle.close(),
    transaction: <T>(work: (store: VectorStore) => Promise<T>) => handle.db.transaction((tx) => work(store.inTransaction!(tx))),
  };
}

describeVectorStoreContract('pgvector on PGlite', pgvectorHarness(async () => {
  const db = await createPgliteDb();
  return { db, close: () => db.close() };
}));

(postgresVector ? describe : describe.skip)('pgvector on Postgres (DATABASE_URL has the vector extension)', () => {
  describeVectorStoreContract('pgvector on Postgres', pgvectorHarness(() => postgres!.open()));
});

(milvusAddress ? describe : describe.skip)('Milvus (MILVUS_ADDRESS is set)', () => {
  describeVectorStoreContract('Milvus', {
    open: () => createMilvusStore({ address: milvusAddress!, prefix: 'llmp_test_' }),
    close: (store) => store.close(),
  });
});

describe('unavailable vector stores', () => {
  (postgresUrl && !postgresVector ? it : it.skip)('refuses pgvector on a Postgres without the extension, saying what to do', async () => {
    const db = createPgDb({ connectionString: postgresUrl!, poolSize: 1 });
    try {
      const error = await createPgvectorStore({ db }).catch((e) => e);
      expect(error).toBeInstanceOf(VectorStoreUnavailableError);
      expect(error.message).toMatch(/pgvector is not installed in this Postgres server.*LLMP_VECTOR_STORE=milvus/);
    } finally {
      await db.close();
    }
  });

  it('reports a Milvus that is not there, without crashing the process', async () => {
    const error = await createMilvusStore({ address: '127.0.0.1:1', timeoutMs: 1000 }).catch((e) => e);
    expect(error).toBeInstanceOf(VectorStoreUnavailableError);
    expect(error.message).toMatch(/^Milvus at 127.0.0.1:1 is not reachable/);
  });
});
