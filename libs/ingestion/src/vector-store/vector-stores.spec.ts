import { createPgDb, createPgliteDb, type Db } from '@llmp/db';
import { postgresWithPgvector } from '../testing/postgres-vector';
import { createMilvusStore } from './milvus-store';
import { createPgvectorStore } from './pgvector-store';
import { describeVectorStoreContract } from './vector-store.contract';
import { VectorStoreUnavailableError, type VectorStore } from './vector-store';

const milvusAddress = process.env['LLMP_MILVUS_ADDRESS'] ?? process.env['MILVUS_ADDRESS'];

const postgresUrl = process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'];
const postgres = postgresWithPgvector();

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

(postgres ? describe : describe.skip)('pgvector on Postgres (DATABASE_URL has the vector extension)', () => {
  describeVectorStoreContract('pgvector on Postgres', pgvectorHarness(() => postgres!.open()));
});

(milvusAddress ? describe : describe.skip)('Milvus (MILVUS_ADDRESS is set)', () => {
  describeVectorStoreContract('Milvus', {
    open: () => createMilvusStore({ address: milvusAddress!, prefix: 'llmp_test_' }),
    close: (store) => store.close(),
  });
});

describe('unavailable vector stores', () => {
  (postgresUrl && !postgres ? it : it.skip)('refuses pgvector on a Postgres without the extension, saying what to do', async () => {
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
