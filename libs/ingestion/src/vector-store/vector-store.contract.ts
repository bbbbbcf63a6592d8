import { randomBytes } from 'node:crypto';
import type { VectorStore } from './vector-store';

/** Unit vectors in clusters: realistic neighbours, as embeddings are. */
export function clusteredVectors({
  count,
  dimension,
  clusters,
  spread = 0.5,
  seed = 1,
}: {
  count: number;
  dimension: number;
  clusters: number;
  /** Length of the noise added to a cluster centre (a unit vector) before normalising. */
  spread?: number;
  seed?: number;
}): number[][] {
  let state = seed;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const gaussian = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
  const normalize = (v: number[]) => {
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    return v.map((x) => x / norm);
  };
  const centres = Array.from({ length: clusters }, () => normalize(Array.from({ length: dimension }, gaussian)));
  const sigma = spread / Math.sqrt(dimension);
  return Array.from({ length: count }, (_, i) => normalize(centres[i % clusters].map((c) => c + gaussian() * sigma)));
}

export interface VectorStoreHarness {
  open(): Promise<VectorStore>;
  close(store: VectorStore): Promise<void>;
  /** A transaction the store can join, when it supports `inTransaction`. */
  transaction?<T>(work: (store: VectorStore) => Promise<T>): Promise<T>;
}

/** The behaviour every VectorStore must have; run against each store that is reachable. */
export function describeVectorStoreContract(name: string, harness: VectorStoreHarness): void {
  describe(`VectorStore contract: ${name}`, () => {
    let store: VectorStore;
    let collection: string;
    const dimension = 16;
    const vectors = clusteredVectors({ count: 60, dimension, clusters: 4 });
    const records = vectors.map((vector, i) => ({ id: `chk_${i}`, documentId: `doc_${i % 3}`, vector }));

    beforeAll(async () => {
      store = await harness.open();
    });
    afterAll(() => harness.close(store));
    beforeEach(async () => {
      collection = `t${randomBytes(4).toString('hex')}`;
      await store.ensureCollection(collection, { dimension });
    });
    afterEach(() => store.dropCollection(collection));

    it('finds a stored vector first, with cosine similarity 1, and the nearest ones after it', async () => {
      await store.upsert(collection, records);
      const matches = await store.search(collection, vectors[5], { topK: 5 });
      expect(matches).toHaveLength(5);
      expect(matches[0]).toMatchObject({ id: 'chk_5', documentId: 'doc_2' });
      expect(matches[0].score).toBeCloseTo(1, 4);
      for (let i = 1; i < matches.length; i++) expect(matches[i].score).toBeLessThanOrEqual(matches[i - 1].score + 1e-6);
      // Its neighbours come from its own cluster (every 4th vector).
      expect(matches.every((m) => Number(m.id.slice(4)) % 4 === 1)).toBe(true);
    });

    it('agrees with an exact scan on a small collection', async () => {
      await store.upsert(collection, records);
      const approximate = await store.search(collection, vectors[7], { topK: 10 });
      const exact = await store.search(collection, vectors[7], { topK: 10, exact: true });
      expect(approximate.map((m) => m.id)).toEqual(exact.map((m) => m.id));
    });

    it('replaces a vector written again under the same id', async () => {
      await store.upsert(collection, records.slice(0, 10));
      await store.upsert(collection, [{ id: 'chk_0', documentId: 'doc_9', vector: vectors[40] }]);
      expect(await store.count(collection)).toBe(10);
      const [top] = await store.search(collection, vectors[40], { topK: 1 });
      expect(top).toMatchObject({ id: 'chk_0', documentId: 'doc_9' });
    });

    it('searches only the documents asked for', async () => {
      await store.upsert(collection, records);
      const matches = await store.search(collection, vectors[0], { topK: 8, documentIds: ['doc_1'] });
      expect(matches.length).toBeGreaterThan(0);
      expect(new Set(matches.map((m) => m.documentId))).toEqual(new Set(['doc_1']));
    });


    it('filters on document ids that hold quotes, backslashes and SQL, taking them as text', async () => {
      const odd = [`doc_'); drop table x; --`, 'doc_\\', `doc_''\\'`, 'doc_$1'];
      await store.upsert(
        collection,
        records.slice(0, 8).map((r, i) => ({ ...r, documentId: odd[i % odd.length] })),
      );
      for (const documentId of odd) {
        const matches = await store.search(collection, vectors[0], { topK: 8, documentIds: [documentId] });
        expect(matches.map((m) => m.documentId)).toEqual([documentId, documentId]);
      }
      expect(await store.search(collection, vectors[0], { topK: 8, documentIds: ['doc_'] })).toEqual([]);
      expect(await store.count(collection)).toBe(8);
    });

    it('refuses a query vector that is not finite numbers, and a topK that is not a positive integer', async () => {
      await store.upsert(collection, records.slice(0, 4));
      const bad = [...vectors[0]];
      bad[3] = Number.NaN;
      await expect(store.search(collection, bad, { topK: 2 })).rejects.toThrow();
      await expect(store.search(collection, vectors[0], { topK: 0 })).rejects.toThrow();
      expect(await store.search(collection, vectors[0], { topK: 2 })).toHaveLength(2);
    });
    it('deletes every vector of a document and nothing else', async () => {
      await store.upsert(collection, records);
      await store.deleteDocuments(collection, ['doc_0', 'doc_missing']);
      expect(await store.count(collection)).toBe(40);
      const matches = await store.search(collection, vectors[0], { topK: 60 });
      expect(matches.some((m) => m.documentId === 'doc_0')).toBe(false);
    });

    it('keeps collections apart and refuses a second dimension for one', async () => {
      const other = `${collection}_b`;
      await store.ensureCollection(other, { dimension: 8 });
      try {
        await store.upsert(other, [{ id: 'x', documentId: 'doc_x', vector: Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 : 0)) }]);
        expect(await store.count(collection)).toBe(0);
        expect(await store.count(other)).toBe(1);
        await expect(store.ensureCollection(other, { dimension: 16 })).rejects.toThrow(/holds 8-dimensional vectors, not 16/);
      } finally {
        await store.dropCollection(other);
      }
    });

    if (harness.transaction) {
      it('writes nothing when the surrounding transaction rolls back', async () => {
        await expect(
          harness.transaction!(async (tx) => {
            await tx.upsert(collection, records.slice(0, 5));
            expect(await tx.count(collection)).toBe(5);
            throw new Error('indexing failed');
          }),
        ).rejects.toThrow('indexing failed');
        expect(await store.count(collection)).toBe(0);
      });
    }
  });
}
