import type { Identity } from '@llmp/contracts';
import { newId } from '@llmp/core';
import { migrate } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import type { StoredChunk } from './chunking/chunk';
import { createChunksRepository } from './documents/chunks.repository';
import { createDocumentsRepository, type NewDocument } from './documents/documents.repository';
import { chunkingSettings } from './knowledge-bases/knowledge-base';
import { createKnowledgeBasesRepository } from './knowledge-bases/knowledge-bases.repository';
import { ingestionMigrations } from './migrations';
import { createSearchRepository } from './search/search.repository';
import { bm25 } from './search/search';

function aDocument(knowledgeBaseId: string, overrides: Partial<NewDocument> = {}): NewDocument {
  const id = newId('doc');
  return {
    id,
    knowledgeBaseId,
    title: 'A document',
    filename: 'a.txt',
    type: 'text',
    mediaType: 'text/plain',
    declaredType: null,
    sizeBytes: 10,
    contentHash: `hash-${id}`,
    blobKey: `${knowledgeBaseId}/${id}`,
    metadata: {},
    warnings: [],
    createdBy: null,
    ...overrides,
  };
}

function aChunk(documentId: string, knowledgeBaseId: string, ordinal: number, text: string, headingPath: string[] = []): StoredChunk {
  return { id: newId('chk'), documentId, knowledgeBaseId, ordinal, text, start: 0, end: text.length, headingPath, pageStart: null, pageEnd: null, tokenCount: 5 };
}

describe.each(testDatabases())('ingestion repositories on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  let kbId: string;

  beforeAll(async () => {
    handle = await database.open();
    await migrate(handle.db, ingestionMigrations);
    kbId = newId('kb');
    await createKnowledgeBasesRepository(handle.db).insert({
      id: kbId,
      name: 'Repo test',
      description: '',
      chunking: chunkingSettings.parse({}),
      embedder: { name: 'hashing-ngram-v1', dimension: 16 },
      vectorCollection: `${kbId}_r1`,
      createdBy: null,
      ownerId: null,
      visibility: 'organisation',
    });
  });
  afterAll(() => handle.close());

  it('keeps one document per content hash in a knowledge base', async () => {
    const docs = createDocumentsRepository(handle.db);
    const first = await docs.insert(aDocument(kbId, { contentHash: 'same' }));
    expect(first).toMatchObject({ status: 'queued', stale: false, stages: { queued: { at: expect.any(String) } } });
    expect(await docs.insert(aDocument(kbId, { contentHash: 'same' }))).toBeNull();
    expect((await docs.findByHash(kbId, 'same'))?.id).toBe(first!.id);
  });

  it('lets only the run that claimed a document write to it', async () => {
    const docs = createDocumentsRepository(handle.db);
    const doc = (await docs.insert(aDocument(kbId)))!;
    expect(await docs.claim(doc.id, 'job-1', 'run_a')).toMatchObject({ attempts: 1 });
    expect(await docs.claim(doc.id, 'job-2', 'run_x')).toBeNull();
    expect(await docs.claim(doc.id, 'job-1', 'run_b')).toMatchObject({ attempts: 2 });
    expect(await docs.updateRun(doc.id, 'run_a', { status: 'parsing' })).toBe(false);
    expect(await docs.updateRun(doc.id, 'run_b', { status: 'parsing', progress: 0.5, stages: { parsing: { startedAt: 'now' } } })).toBe(true);
    expect(await docs.finish(doc.id, 'cancelled', { code: 'cancelled', message: 'cancelled by test' })).toMatchObject({ status: 'cancelled' });
    expect(await docs.updateRun(doc.id, 'run_b', { status: 'ready' })).toBe(false);
    expect(await docs.finish(doc.id, 'failed', { code: 'x', message: 'too late' })).toBeNull();
    expect(await docs.requeue(doc.id)).toBe(true);
    expect(await docs.get(doc.id)).toMatchObject({ status: 'queued', error: null, progress: 0 });
  });

  it('replaces chunks and ranks them by full-text match on any query term', async () => {
    const docs = createDocumentsRepository(handle.db);
    const chunks = createChunksRepository(handle.db);
    const search = createSearchRepository(handle.db);
    const doc = (await docs.insert(aDocument(kbId, { metadata: { team: 'ops' } })))!;
    await chunks.replace(doc.id, [aChunk(doc.id, kbId, 0, 'old text about nothing')]);
    const fresh = [
      aChunk(doc.id, kbId, 0, 'Backups run nightly and are kept for thirty days.', ['Operations', 'Backups']),
      aChunk(doc.id, kbId, 1, 'The cafeteria opens at noon.'),
      aChunk(doc.id, kbId, 2, "Restoring backups: it's tested quarterly; O'Brien signs off."),
    ];
    await chunks.replace(doc.id, fresh);
    expect(await chunks.countByDocument(doc.id)).toBe(3);

    const rank = async (query: string, filters = {}) => {
      const terms = await search.queryTerms(query);
      return bm25(await search.termMatches(terms, [kbId], filters, 100), await search.termStatistics(terms, [kbId]));
    };
    const hits = await rank("How long are backups kept? O'Brien");
    expect(new Set(hits.map((h) => h.id))).toEqual(new Set([fresh[0].id, fresh[2].id]));
    const ranked = await rank('are backups kept for thirty days');
    expect(ranked.map((h) => h.id)).toEqual([fresh[0].id, fresh[2].id]);
    expect(ranked[0].score).toBeGreaterThan(ranked[1].score);
    expect(await rank("How long are backups kept? O'Brien", { metadata: { team: 'hr' } })).toEqual([]);
    // Headings are searchable too.
    expect((await rank('operations')).map((h) => h.id)).toEqual([fresh[0].id]);
    expect(await search.queryTerms('the of and')).toEqual([]);
    expect(await search.termStatistics(['backup', 'cafeteria', 'absent'], [kbId])).toEqual({
      chunks: 3,
      meanLength: expect.any(Number),
      documentFrequency: new Map([['backup', 2], ['cafeteria', 1], ['absent', 0]]),
    });

    const hydrated = await search.hydrate([fresh[0].id, 'chk_gone'], [kbId], { types: ['text'] });
    expect([...hydrated.keys()]).toEqual([fresh[0].id]);
    expect(hydrated.get(fresh[0].id)).toMatchObject({ heading_path: ['Operations', 'Backups'], title: 'A document' });
  });

  it('finds unfinished documents that nobody touched for a while', async () => {
    const docs = createDocumentsRepository(handle.db);
    const doc = (await docs.insert(aDocument(kbId)))!;
    await handle.db.query(`update ingestion.documents set updated_at = now() - interval '10 minutes' where id = $1`, [doc.id]);
    expect((await docs.listIdle(60)).map((d) => d.id)).toContain(doc.id);
    await docs.touch(doc.id);
    expect((await docs.listIdle(60)).map((d) => d.id)).not.toContain(doc.id);
  });

  it('lists only the knowledge bases a caller may read, members included, filtering in SQL', async () => {
    const repo = createKnowledgeBasesRepository(handle.db);
    const person = (userId: string, role: Identity['role'] = 'user'): Identity => ({ userId, username: userId, role, via: 'token' });
    const add = async (name: string, ownerId: string, visibility: 'private' | 'organisation') =>
      (await repo.insert({ id: newId('kb'), name, description: '', chunking: chunkingSettings.parse({}), embedder: { name: 'hashing-ngram-v1', dimension: 16 }, vectorCollection: `v_${name}`, createdBy: ownerId, ownerId, visibility })).id;
    const alicePrivate = await add('alice private', 'usr_alice', 'private');
    const aliceShared = await add('alice shared', 'usr_alice', 'private');
    const aliceOrg = await add('alice org', 'usr_alice', 'organisation');
    await repo.setMember(aliceShared, 'usr_carol', 'viewer', 'usr_alice');
    const names = async (caller: Identity) => (await repo.list(caller)).filter((kb) => kb.id !== kbId).map((kb) => kb.id);
    expect(await names(person('usr_alice'))).toEqual([alicePrivate, aliceShared, aliceOrg]);
    expect(await names(person('usr_bob'))).toEqual([aliceOrg]);
    expect(await names(person('usr_carol'))).toEqual([aliceShared, aliceOrg]);
    expect(await names(person('usr_mia', 'manager'))).toEqual([alicePrivate, aliceShared, aliceOrg]);
    expect(await repo.memberRole(aliceShared, 'usr_carol')).toBe('viewer');
    await repo.setMember(aliceShared, 'usr_carol', 'editor', 'usr_alice');
    expect(await repo.listMembers(aliceShared)).toEqual([{ userId: 'usr_carol', role: 'editor', addedBy: 'usr_alice', addedAt: expect.any(String) }]);
    // Names are unique per owner: Bob may reuse the name of Alice's private knowledge base without learning of it.
    expect(await repo.findByName('ALICE PRIVATE', 'usr_bob')).toBeNull();
    expect((await repo.findByName('ALICE PRIVATE', 'usr_alice'))?.id).toBe(alicePrivate);
  });
});

describe.each(testDatabases())('ingestion migrations on $name', (database) => {
  it('keeps knowledge bases made before owners existed visible to everyone and owned by their creator', async () => {
    const handle = await database.open();
    try {
      await migrate(handle.db, { ...ingestionMigrations, migrations: ingestionMigrations.migrations.filter((m) => m.version <= 2) });
      await handle.db.query(
        `insert into ingestion.knowledge_bases (id, name, chunking, embedder, vector_collection, created_by)
         values ('kb_old', 'Old', '{}', '{}', 'kb_old_r1', 'usr_creator'), ('kb_seeded', 'Demo', '{}', '{}', 'kb_seeded_r1', null)`,
      );
      await migrate(handle.db, ingestionMigrations);
      const repo = createKnowledgeBasesRepository(handle.db);
      expect(await repo.get('kb_old')).toMatchObject({ ownerId: 'usr_creator', visibility: 'organisation' });
      expect(await repo.get('kb_seeded')).toMatchObject({ ownerId: null, visibility: 'organisation' });
      const stranger: Identity = { userId: 'usr_someone', username: 'someone', role: 'user', via: 'token' };
      expect((await repo.list(stranger)).map((kb) => kb.id)).toEqual(['kb_old', 'kb_seeded']);
    } finally {
      await handle.close();
    }
  });
});
