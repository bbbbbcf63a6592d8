import { SYSTEM } from '@llmp/contracts';
import { newId } from '@llmp/core';
import { migrate, type Db } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import { structuringMigrations } from '../migrations';
import type { FrozenRecord, NewRecord } from './dataset';
import { createPgStructuringStores, type StructuringStores } from './stores';

const aDataset = (overrides: { ownerId?: string | null; visibility?: 'private' | 'organisation' } = {}) => ({
  id: newId('ds'),
  name: 'Pumps',
  description: '',
  ownerId: 'usr_alice',
  visibility: 'private' as const,
  ...overrides,
});
const aRecord = (datasetId: string, i: number): NewRecord => ({
  id: newId('rec'),
  datasetId,
  record: { messages: [{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }] },
  tokens: 10 + i,
  source: { type: 'upload', uploadId: 'upl_1', filename: null, line: i + 1 },
});

describe.each(testDatabases())('structuring stores on $name', (database) => {
  let db: Db;
  let close: () => Promise<void>;
  let stores: StructuringStores;
  beforeAll(async () => {
    ({ db, close } = await database.open());
    await migrate(db, structuringMigrations);
    stores = createPgStructuringStores(db);
  });
  afterAll(() => close());

  it('lists only the datasets a caller may read, with record counts by status', async () => {
    const mine = await stores.datasets.insert(aDataset());
    const shared = await stores.datasets.insert(aDataset({ ownerId: 'usr_carol', visibility: 'organisation' }));
    const hidden = await stores.datasets.insert(aDataset({ ownerId: 'usr_carol' }));
    await stores.records.insertMany([aRecord(mine.id, 0), aRecord(mine.id, 1)]);
    const alice = { userId: 'usr_alice', username: 'alice', role: 'user' as const, via: 'token' as const };
    const seen = (await stores.datasets.list(alice)).map((d) => d.id);
    expect(seen).toEqual(expect.arrayContaining([mine.id, shared.id]));
    expect(seen).not.toContain(hidden.id);
    expect((await stores.datasets.list(SYSTEM)).map((d) => d.id)).toContain(hidden.id);
    expect((await stores.datasets.get(mine.id))!.records).toEqual({ total: 2, pending: 2, accepted: 0, rejected: 0 });
  });

  it('keeps records in the order they were stored, pages after an id, and changes status in bulk', async () => {
    const ds = await stores.datasets.insert(aDataset());
    const records = Array.from({ length: 1200 }, (_, i) => aRecord(ds.id, i));
    await stores.records.insertMany(records);
    const first = await stores.records.page(ds.id, { limit: 500 });
    const second = await stores.records.page(ds.id, { limit: 500, after: first[499].id });
    expect([...first, ...second].map((r) => r.id)).toEqual(records.slice(0, 1000).map((r) => r.id));
    const seen: string[] = [];
    for await (const r of stores.records.each(ds.id, ['pending'], 300)) seen.push(r.id);
    expect(seen).toEqual(records.map((r) => r.id));
    expect(await stores.records.setStatus(ds.id, 'accepted', { ids: [records[0].id, records[1].id] })).toBe(2);
    await stores.records.reject([records[2].id], 'cleaning: exact-dedup');
    expect(await stores.records.get(records[2].id)).toMatchObject({ status: 'rejected', reason: 'cleaning: exact-dedup' });
    expect(await stores.records.setStatus(ds.id, 'accepted', { from: 'pending' })).toBe(1197);
    expect((await stores.records.page(ds.id, { status: 'rejected', limit: 10 })).map((r) => r.id)).toEqual([records[2].id]);
  });

  it('freezes a copy of the records that later edits do not touch, and refuses to delete a held dataset', async () => {
    const ds = await stores.datasets.insert(aDataset());
    const records = Array.from({ length: 3 }, (_, i) => aRecord(ds.id, i));
    await stores.records.insertMany(records);
    async function* frozen(): AsyncGenerator<FrozenRecord> {
      for (const [i, r] of records.entries()) yield { recordId: r.id, split: i === 1 ? 'validation' : 'train', record: r.record, tokens: r.tokens };
    }
    const version = await stores.versions.create(
      {
        id: newId('dsv'),
        datasetId: ds.id,
        kind: 'chat',
        counts: { train: 2, validation: 1, test: 0 },
        split: { seed: 's', validation: 0.3, test: 0, from: 'accepted' },
        recipe: { sources: [], steps: [] },
        stats: { examples: 3, tokens: 33, splits: {}, histogram: [] },
        createdBy: 'usr_alice',
      },
      frozen(),
    );
    expect(version).toMatchObject({ number: 1, status: 'frozen', holds: [] });
    await stores.records.update(records[1].id, { record: { text: 'edited' }, tokens: 1 });
    const validation: FrozenRecord[] = [];
    for await (const r of stores.versions.records(version.id, 'validation')) validation.push(r);
    expect(validation).toEqual([{ recordId: records[1].id, split: 'validation', record: records[1].record, tokens: records[1].tokens }]);

    await stores.versions.hold(version.id, 'ftjob_1');
    await stores.versions.hold(version.id, 'ftjob_1');
    expect((await stores.versions.get(version.id))!.holds).toEqual(['ftjob_1']);
    expect(await stores.datasets.deleteUnlessHeld(ds.id)).toBe('held');
    expect(await stores.versions.release(version.id, 'ftjob_1')).toBe(true);
    expect(await stores.datasets.deleteUnlessHeld(ds.id)).toBe('deleted');
    expect(await stores.datasets.deleteUnlessHeld(ds.id)).toBe('missing');
    expect(await stores.versions.get(version.id)).toBeNull();
  });

  it('rolls back every change of a failed transaction', async () => {
    const ds = await stores.datasets.insert(aDataset());
    await expect(
      stores.transaction(async (tx) => {
        await tx.records.insertMany([aRecord(ds.id, 0)]);
        throw new Error('the upload broke off');
      }),
    ).rejects.toThrow('the upload broke off');
    expect((await stores.datasets.get(ds.id))!.records.total).toBe(0);
  });

  it('tracks a build and removes only the records it stored', async () => {
    const ds = await stores.datasets.insert(aDataset());
    const build = await stores.builds.insert({ id: newId('dsb'), datasetId: ds.id, params: { knowledgeBaseId: 'kb_1', mode: 'qa', generator: 'extractive', maxChunks: 10 }, createdBy: null });
    expect(build).toMatchObject({ status: 'queued', progress: { documents: 0, chunks: 0, records: 0 }, error: null });
    const built: NewRecord = { ...aRecord(ds.id, 0), source: { type: 'knowledge-base', buildId: build.id, knowledgeBaseId: 'kb_1', documentId: 'doc_1', chunkId: 'chk_1', generator: 'extractive-qa' } };
    await stores.records.insertMany([built, aRecord(ds.id, 1)]);
    await stores.builds.update(build.id, { status: 'failed', error: 'ingestion answered 500' });
    expect(await stores.records.deleteByBuild(ds.id, build.id)).toBe(1);
    expect(await stores.builds.get(build.id)).toMatchObject({ status: 'failed', error: 'ingestion answered 500' });
    expect((await stores.datasets.get(ds.id))!.records.total).toBe(1);
  });
});
