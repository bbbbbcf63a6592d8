import { createPgliteDb, type Db } from '@llmp/db';
import { postgresWithPgvector } from '../testing/postgres-vector';
import { createPgvectorStore } from './pgvector-store';
import { clusteredVectors } from './vector-store.contract';
import type { VectorStore } from './vector-store';

const postgres = postgresWithPgvector();

const dimension = 16;
const vectors = clusteredVectors({ count: 200, dimension, clusters: 8, seed: 5 });
const records = vectors.map((vector, i) => ({ id: `chk_${i}`, documentId: `doc_${Math.floor(i / 10)}`, vector }));

function describeSegments(name: string, open: () => Promise<{ db: Db; close(): Promise<void> }>) {
  describe(`pgvector segments: ${name}`, () => {
    let handle: { db: Db; close(): Promise<void> };
    let store: VectorStore;
    let collection: string;
    beforeAll(async () => {
      handle = await open();
      // Tiny segments, so a handful of writes goes through sealing and two levels of merges.
      store = await createPgvectorStore({ db: handle.db, segmentRows: 20, mergeFanIn: 3, maxSegmentRows: 1000 });
    });
    afterAll(() => handle.close());
    let n = 0;
    beforeEach(async () => {
      collection = `seg${process.pid}_${n++}`;
      await store.ensureCollection(collection, { dimension });
    });
    afterEach(() => store.dropCollection(collection));

    const ids = (matches: Array<{ id: string }>) => matches.map((m) => m.id);
    async function writeInBatches(batch: number) {
      for (let i = 0; i < records.length; i += batch) {
        await store.upsert(collection, records.slice(i, i + batch));
        await store.compact!(collection);
      }
    }

    it('starts with one growing segment and leaves it alone below the size to seal', async () => {
      await store.upsert(collection, records.slice(0, 19));
      expect(await store.compact!(collection)).toEqual({ sealed: [], indexed: [], merged: [] });
      const segments = await store.segments!(collection);
      expect(segments).toHaveLength(1);
      expect(segments[0]).toMatchObject({ state: 'growing' });
    });

    it('seals full segments, indexes them and merges them by level, keeping every vector once', async () => {
      await writeInBatches(20);
      const segments = await store.segments!(collection);
      expect(await store.count(collection)).toBe(records.length);
      // 10 sealed segments with fan-in 3: three merged into level 1 three times, then those three into level 2.
      expect(segments.filter((s) => s.state === 'indexed').map((s) => s.level).sort()).toEqual([0, 2]);
      expect(segments.find((s) => s.level === 2)?.rows).toBe(180);
      expect(segments.filter((s) => s.state === 'growing')).toHaveLength(1);
      const { rows } = await handle.db.query<{ n: number }>(`select count(distinct id)::int as n from ingestion.vectors_${collection}`);
      expect(rows[0].n).toBe(records.length);
      // Every indexed segment has its own HNSW index; the growing one has none.
      const { rows: indexes } = await handle.db.query<{ n: number }>(
        `select count(*)::int as n from pg_indexes where schemaname = 'ingestion' and indexdef like '%USING hnsw%'
           and tablename = any($1::text[])`,
        [segments.map((s) => `vectors_segment_${s.segment}`)],
      );
      expect(indexes[0].n).toBe(segments.filter((s) => s.state === 'indexed').length);
    });

    it('merges only as many segments as fit under the largest size, and never one alone', async () => {
      const capped = await createPgvectorStore({ db: handle.db, segmentRows: 20, mergeFanIn: 3, maxSegmentRows: 50 });
      for (let i = 0; i < records.length; i += 25) {
        await capped.upsert(collection, records.slice(i, i + 25));
        await capped.compact!(collection);
      }
      const segments = await capped.segments!(collection);
      const merged = segments.filter((s) => s.level > 0);
      expect(merged.length).toBeGreaterThan(0);
      // Segments of 25 rows: two fit in 50, a third would not.
      for (const s of merged) expect(s.rows).toBe(50);
      expect(await capped.count(collection)).toBe(records.length);
      expect(ids(await capped.search(collection, vectors[60], { topK: 5 }))).toEqual(ids(await capped.search(collection, vectors[60], { topK: 5, exact: true })));
    });

    it('keeps every vector when writers, deletes and compactions run at once', async () => {
      // Two writers as two documents' indexing transactions, each compacting after it commits, and a delete between.
      const writer = async (offset: number) => {
        for (let i = offset; i < records.length; i += 40) {
          const batch = records.slice(i, i + 20);
          await handle.db.transaction(async (tx) => {
            const inTx = store.inTransaction!(tx);
            await inTx.deleteDocuments(collection, [...new Set(batch.map((r) => r.documentId))]);
            await inTx.upsert(collection, batch);
          });
          await store.compact!(collection);
        }
      };
      // A document written before, deleted while the others are written.
      await store.upsert(collection, records.slice(0, 25).map((r) => ({ ...r, id: `old_${r.id}`, documentId: 'doc_old' })));
      await Promise.all([writer(0), writer(20), store.deleteDocuments(collection, ['doc_old'])]);
      await store.compact!(collection);
      expect(await store.count(collection)).toBe(records.length);
      const segments = await store.segments!(collection);
      expect(segments.filter((s) => s.state === 'growing')).toHaveLength(1);
      expect(segments.filter((s) => s.state === 'sealing')).toHaveLength(0);
      expect(ids(await store.search(collection, vectors[33], { topK: 3 }))).toEqual(ids(await store.search(collection, vectors[33], { topK: 3, exact: true })));
    });

    it('finds across indexed and growing segments what an exact scan finds', async () => {
      await writeInBatches(25);
      expect((await store.segments!(collection)).length).toBeGreaterThan(1);
      for (const q of [3, 77, 150, 199]) {
        const approximate = await store.search(collection, vectors[q], { topK: 5 });
        const exact = await store.search(collection, vectors[q], { topK: 5, exact: true });
        expect(approximate[0]).toMatchObject({ id: `chk_${q}` });
        expect(approximate[0].score).toBeCloseTo(1, 5);
        expect(ids(approximate)).toEqual(ids(exact));
      }
    });

    it('deletes a document and replaces a vector whichever segment holds them', async () => {
      await writeInBatches(20);
      await store.deleteDocuments(collection, ['doc_0', 'doc_19']);
      expect(await store.count(collection)).toBe(records.length - 20);
      expect(ids(await store.search(collection, vectors[5], { topK: 200, exact: true }))).not.toContain('chk_5');
      // chk_42 sits in an indexed segment: writing it again moves it to the growing one, once.
      await store.upsert(collection, [{ id: 'chk_42', documentId: 'doc_4', vector: vectors[120] }]);
      expect(await store.count(collection)).toBe(records.length - 20);
      const found = await store.search(collection, vectors[120], { topK: 2 });
      expect(ids(found).sort()).toEqual(['chk_120', 'chk_42']);
      expect(ids(await store.search(collection, vectors[42], { topK: 200, documentIds: ['doc_4'] }))).toHaveLength(10);
    });

    it('finishes an index whose build was interrupted after sealing', async () => {
      await store.upsert(collection, records.slice(0, 20));
      // What a crash between sealing and building leaves behind.
      await handle.db.query(`update ingestion.vector_segments set state = 'sealing', rows = 20 where collection = $1`, [collection]);
      await handle.db.query(`insert into ingestion.vector_segments (collection, segment, state) values ($1, nextval('ingestion.vector_segment_seq'), 'growing')`, [
        collection,
      ]);
      const { rows } = await handle.db.query<{ segment: number }>(`select segment from ingestion.vector_segments where collection = $1 and state = 'growing'`, [collection]);
      await handle.db.exec(`create table ingestion.vectors_segment_${rows[0].segment} partition of ingestion.vectors_${collection} for values in (${rows[0].segment})`);
      expect(ids(await store.search(collection, vectors[7], { topK: 1 }))).toEqual(['chk_7']);
      const report = await store.compact!(collection);
      expect(report.indexed).toHaveLength(1);
      expect((await store.segments!(collection)).map((s) => s.state).sort()).toEqual(['growing', 'indexed']);
      expect(ids(await store.search(collection, vectors[7], { topK: 1 }))).toEqual(['chk_7']);
    });

    it('takes over a collection written before segments, with its index and rows', async () => {
      const legacy = `legacy${process.pid}_${n++}`;
      await handle.db.exec(`
        create table ingestion.vectors_${legacy} (id text primary key, document_id text not null, embedding vector(${dimension}) not null);
        create index vectors_${legacy}_document_idx on ingestion.vectors_${legacy} (document_id);
        create index vectors_${legacy}_hnsw_idx on ingestion.vectors_${legacy} using hnsw (embedding vector_cosine_ops);
      `);
      const legacyStore = await createPgvectorStore({ db: handle.db });
      try {
        await handle.db.query(
          `insert into ingestion.vectors_${legacy} select r.id, r.d, r.e::vector from unnest($1::text[], $2::text[], $3::text[]) as r(id, d, e)`,
          [records.slice(0, 30).map((r) => r.id), records.slice(0, 30).map((r) => r.documentId), records.slice(0, 30).map((r) => `[${r.vector.join(',')}]`)],
        );
        await legacyStore.ensureCollection(legacy, { dimension });
        await legacyStore.ensureCollection(legacy, { dimension });
        expect((await legacyStore.segments!(legacy)).map((s) => s.state)).toEqual(['indexed', 'growing']);
        await legacyStore.upsert(legacy, records.slice(30, 40));
        expect(await legacyStore.count(legacy)).toBe(40);
        expect(ids(await legacyStore.search(legacy, vectors[12], { topK: 1 }))).toEqual(['chk_12']);
        expect(ids(await legacyStore.search(legacy, vectors[35], { topK: 1 }))).toEqual(['chk_35']);
        await expect(legacyStore.ensureCollection(legacy, { dimension: 8 })).rejects.toThrow(/holds 16-dimensional vectors, not 8/);
      } finally {
        await legacyStore.dropCollection(legacy);
      }
    });

    it('rolls a write back with the transaction it joined, and a collection dropped leaves no segments', async () => {
      await expect(
        handle.db.transaction(async (tx) => {
          await store.inTransaction!(tx).upsert(collection, records.slice(0, 5));
          throw new Error('indexing failed');
        }),
      ).rejects.toThrow('indexing failed');
      expect(await store.count(collection)).toBe(0);
      await writeInBatches(50);
      await store.dropCollection(collection);
      const { rows } = await handle.db.query<{ n: number }>(`select count(*)::int as n from ingestion.vector_segments where collection = $1`, [collection]);
      expect(rows[0].n).toBe(0);
      await store.ensureCollection(collection, { dimension });
    });
  });
}

describeSegments('PGlite', async () => {
  const db = await createPgliteDb();
  return { db, close: () => db.close() };
});

// The platform's layout: rows reach the database thread in binary COPY form.
describeSegments('PGlite on its own thread', async () => {
  const db = await createPgliteDb({ thread: true });
  return { db, close: () => db.close() };
});

(postgres ? describe : describe.skip)('on Postgres (DATABASE_URL has the vector extension)', () => {
  describeSegments('Postgres', () => postgres!.open());
});
