import { chunkingSettingsSchema, type Identity } from '@llmp/contracts';
import { DomainError, newId } from '@llmp/core';
import { migrate } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import type { StoredChunk } from './chunking/chunk';
import { createSqlChunkStore, searchableText } from './documents/chunk.store';
import { createSqlDocumentStore, type NewDocument } from './documents/document.store';
import { createSqlKnowledgeBaseStore, type NewKnowledgeBase } from './knowledge-bases/knowledge-base.store';
import { ingestionMigrations } from './migrations';
import { createEnglishLexer } from './search/english-lexer';
import { createDbLexer } from './search/lexer';
import { createSqlSearchStore } from './search/search.store';
import { bm25 } from './search/search';
import { createIngestionStores } from './stores';
import type { VectorStore } from './vector-store/vector-store';

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

function aKnowledgeBase(overrides: Partial<NewKnowledgeBase> = {}): NewKnowledgeBase {
  const id = newId('kb');
  return {
    id,
    name: `Knowledge base ${id}`,
    description: '',
    chunking: chunkingSettingsSchema.parse({}),
    embedder: { name: 'hashing-ngram-v1', dimension: 16 },
    vectorCollection: `${id}_r1`,
    createdBy: null,
    ownerId: null,
    visibility: 'private',
    ...overrides,
  };
}

const noVectors = () => Promise.reject(new Error('these tests write no vectors'));
/** A vector store outside the database (as Milvus is): transactions hand it through untouched. */
const vectorsElsewhere: VectorStore = {
  kind: 'milvus',
  ensureCollection: noVectors,
  dropCollection: noVectors,
  upsert: noVectors,
  deleteDocuments: noVectors,
  search: noVectors,
  count: noVectors,
  health: noVectors,
  close: noVectors,
};

function aChunk(documentId: string, knowledgeBaseId: string, ordinal: number, text: string, headingPath: string[] = []): StoredChunk {
  return { id: newId('chk'), documentId, knowledgeBaseId, ordinal, text, start: 0, end: text.length, headingPath, pageStart: null, pageEnd: null, tokenCount: 5 };
}

describe.each(testDatabases())('ingestion stores on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  let kbId: string;

  beforeAll(async () => {
    handle = await database.open();
    await migrate(handle.db, ingestionMigrations);
    kbId = newId('kb');
    await createSqlKnowledgeBaseStore(handle.db).insert({
      id: kbId,
      name: 'Repo test',
      description: '',
      chunking: chunkingSettingsSchema.parse({}),
      embedder: { name: 'hashing-ngram-v1', dimension: 16 },
      vectorCollection: `${kbId}_r1`,
      createdBy: null,
      ownerId: null,
      visibility: 'organisation',
    });
  });
  afterAll(() => handle.close());

  it('keeps one document per content hash in a knowledge base', async () => {
    const docs = createSqlDocumentStore(handle.db);
    const first = await docs.insert(aDocument(kbId, { contentHash: 'same' }));
    expect(first).toMatchObject({ status: 'queued', stale: false, stages: { queued: { at: expect.any(String) } } });
    expect(await docs.insert(aDocument(kbId, { contentHash: 'same' }))).toBeNull();
    expect((await docs.findByHash(kbId, 'same'))?.id).toBe(first!.id);
  });

  it('lets only the run that claimed a document write to it', async () => {
    const docs = createSqlDocumentStore(handle.db);
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

  it('counts the chunks of the searched knowledge bases and their mean length from what each document holds now', async () => {
    const kbs = createSqlKnowledgeBaseStore(handle.db);
    const created = [aKnowledgeBase(), aKnowledgeBase()];
    for (const kb of created) await kbs.insert(kb);
    const [kbA, kbB] = created.map((kb) => kb.id);
    const docs = createSqlDocumentStore(handle.db);
    const chunks = createSqlChunkStore(handle.db);
    const search = createSqlSearchStore(handle.db);
    const sized = (documentId: string, knowledgeBaseId: string, tokens: number[]) =>
      tokens.map((tokenCount, i) => ({ ...aChunk(documentId, knowledgeBaseId, i, `chunk ${i} of ${documentId}`), tokenCount }));
    /** What a count over every chunk gives, as search counted it before. */
    const counted = async (ids: string[]) => {
      const { rows } = await handle.db.query<{ chunks: number; mean: number }>(
        'select count(*)::int as chunks, coalesce(avg(token_count), 0)::float8 as mean from ingestion.chunks where knowledge_base_id = any($1::text[])',
        [ids],
      );
      return { chunks: rows[0].chunks, meanLength: Number(rows[0].mean) };
    };
    const stats = async (ids: string[]) => {
      const { chunks: n, meanLength } = await search.termStatistics([], ids);
      return { chunks: n, meanLength };
    };

    expect(await stats([kbA])).toEqual({ chunks: 0, meanLength: 0 });
    const first = (await docs.insert(aDocument(kbA)))!;
    const second = (await docs.insert(aDocument(kbA)))!;
    const other = (await docs.insert(aDocument(kbB)))!;
    await chunks.replace(first.id, sized(first.id, kbA, [10, 20, 30]));
    await chunks.replace(second.id, sized(second.id, kbA, [40]));
    await chunks.replace(other.id, sized(other.id, kbB, [7, 9]));
    expect(await stats([kbA])).toEqual({ chunks: 4, meanLength: 25 });
    expect(await stats([kbA, kbB])).toEqual({ chunks: 6, meanLength: 116 / 6 });
    // Indexed again with fewer chunks, then deleted: the counts follow.
    await chunks.replace(first.id, sized(first.id, kbA, [12]));
    expect(await stats([kbA])).toEqual({ chunks: 2, meanLength: 26 });
    await docs.delete(second.id);
    expect(await stats([kbA])).toEqual({ chunks: 1, meanLength: 12 });
    for (const ids of [[kbA], [kbB], [kbA, kbB]]) expect(await stats(ids)).toEqual(await counted(ids));
    // Other tests here list every knowledge base.
    await handle.db.query('delete from ingestion.documents where knowledge_base_id = any($1::text[])', [[kbA, kbB]]);
    await handle.db.query('delete from ingestion.knowledge_bases where id = any($1::text[])', [[kbA, kbB]]);
  });

  it('stores lexemes computed elsewhere as the full-text index it would have computed itself', async () => {
    const docs = createSqlDocumentStore(handle.db);
    const chunks = createSqlChunkStore(handle.db);
    const [lexed, plain] = [(await docs.insert(aDocument(kbId)))!, (await docs.insert(aDocument(kbId)))!];
    const texts = ["Restoring backups: it's tested quarterly; O'Brien signs off.", 'parseHttpRequest() reads MAX_RETRY_COUNT', 'Café — 日本語', '<a href="#x">See below</a>'];
    const of = (documentId: string) => texts.map((text, i) => aChunk(documentId, kbId, i, text, i === 1 ? ['API', 'getUserName()'] : []));
    const same = async () => {
      const { rows } = await handle.db.query<{ same: boolean }>(
        `select a.tsv = b.tsv as same from ingestion.chunks a join ingestion.chunks b using (ordinal)
          where a.document_id = $1 and b.document_id = $2 order by ordinal`,
        [lexed.id, plain.id],
      );
      return rows.map((r) => r.same);
    };
    await chunks.replace(plain.id, of(plain.id));
    await chunks.replace(lexed.id, of(lexed.id), await createDbLexer(handle.db).lexemes(of(lexed.id).map(searchableText)));
    expect(await same()).toEqual([true, true, true, true]);
    // The english lexer leaves the tag across whitespace to the database, which computes that chunk's lexemes itself.
    const english = await createEnglishLexer({ db: handle.db }).lexemes(of(lexed.id).map(searchableText));
    expect(english?.map((l) => l === undefined)).toEqual([false, false, false, true]);
    await chunks.replace(lexed.id, of(lexed.id), english);
    expect(await same()).toEqual([true, true, true, true]);
    await expect(chunks.replace(lexed.id, of(lexed.id), ['only one'])).rejects.toThrow('1 lexeme lists for 4 chunks');
    expect(await chunks.countByDocument(lexed.id)).toBe(4);
    for (const doc of [lexed, plain]) await docs.delete(doc.id);
  });

  it('stores every chunk field and every form of lexemes exactly as given', async () => {
    const docs = createSqlDocumentStore(handle.db);
    const chunks = createSqlChunkStore(handle.db);
    const doc = (await docs.insert(aDocument(kbId)))!;
    const lexemes = [
      "'backup':1 'nightli':3 'run':2",
      "'also':1 'back\\\\slash':7 'it''s':2A,3B,4C,9 'o''brien':5 'quote''d':8D",
      "'café':1 '日本語':2 '𝔘nicode':3,16383",
      "'also' 'stripped'",
      '',
      undefined,
    ];
    const given = lexemes.map((_, i) => ({
      ...aChunk(doc.id, kbId, i, `chunk ${i}: Ｆｕｌｌ ${'x'.repeat(i * 700)} \\ 'quoted' "double" 𝔘`, i % 2 ? ['Guide', 'Chapter "1"'] : []),
      start: i * 10,
      end: i * 10 + 9,
      pageStart: i === 2 ? 3 : null,
      pageEnd: i === 2 ? 4 : null,
      tokenCount: 100 + i,
    }));
    await chunks.replace(doc.id, given, lexemes);
    expect(await chunks.listByDocument(doc.id)).toEqual(given);
    const { rows } = await handle.db.query<{ stored: string; expected: string | null; heading: string }>(
      `select c.tsv::text as stored, g.lexemes::tsvector::text as expected, c.heading_tsv::text as heading
         from ingestion.chunks c join unnest($2::text[]) with ordinality as g(lexemes, n) on g.n = c.ordinal + 1
        where c.document_id = $1 order by c.ordinal`,
      [doc.id, lexemes.map((l) => l ?? null)],
    );
    expect(rows.slice(0, 5).map((r) => r.stored)).toEqual(lexemes.slice(0, 5).map((l) => l!.replace('8D', '8')));
    expect(rows.slice(0, 5).map((r) => r.stored)).toEqual(rows.slice(0, 5).map((r) => r.expected));
    // The chunk given no lexemes has the database's own, and headings their generated lexemes.
    const { rows: own } = await handle.db.query<{ tsv: string }>("select to_tsvector('english', $1)::text as tsv", [searchableText(given[5])]);
    expect(rows[5].stored).toBe(own[0].tsv);
    expect(rows[1].heading).toBe("'1':2 'chapter':1");
    await docs.delete(doc.id);
  });

  it('replaces chunks and ranks them by full-text match on any query term', async () => {
    const docs = createSqlDocumentStore(handle.db);
    const chunks = createSqlChunkStore(handle.db);
    const search = createSqlSearchStore(handle.db);
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
      meanLength: 5,
      documentFrequency: new Map([['backup', 2], ['cafeteria', 1], ['absent', 0]]),
    });
    expect(await search.termStatistics([], [kbId])).toEqual({ chunks: 3, meanLength: 5, documentFrequency: new Map() });
    // More terms than a row may have columns (1664).
    const many = [...Array.from({ length: 1700 }, (_, i) => `term${i}`), 'backup'];
    expect((await search.termStatistics(many, [kbId])).documentFrequency.get('backup')).toBe(2);

    // Identifiers are found by their parts, with the same lexemes on both databases.
    const code = aChunk(doc.id, kbId, 3, 'Call fs.readFile and set defParamCharset; decode with iconv-lite.');
    await chunks.replace(doc.id, [...fresh, code]);
    expect((await search.queryTerms('fs.readFile')).sort()).toEqual(['file', 'fs', 'fs.readfile', 'read']);
    // Lexemes are taken as they are, not parsed again: `iconv-lit` is one term, counted once.
    expect((await search.termStatistics(['iconv-lit', 'fs.readfile'], [kbId])).documentFrequency).toEqual(new Map([['iconv-lit', 1], ['fs.readfile', 1]]));
    for (const query of ['fs.readFile', 'readFile', 'read the file', 'defParamCharset', 'param charset', 'iconv-lite']) {
      expect({ query, hits: (await rank(query)).map((h) => h.id) }).toEqual({ query, hits: [code.id] });
    }

    const hydrated = await search.hydrate([fresh[0].id, 'chk_gone'], [kbId], { types: ['text'] });
    expect([...hydrated.keys()]).toEqual([fresh[0].id]);
    expect(hydrated.get(fresh[0].id)).toMatchObject({ headingPath: ['Operations', 'Backups'], title: 'A document' });
  });

  it('finds unfinished documents that nobody touched for a while', async () => {
    const docs = createSqlDocumentStore(handle.db);
    const doc = (await docs.insert(aDocument(kbId)))!;
    await handle.db.query(`update ingestion.documents set updated_at = now() - interval '10 minutes' where id = $1`, [doc.id]);
    expect((await docs.listIdle(60)).map((d) => d.id)).toContain(doc.id);
    await docs.touch(doc.id);
    expect((await docs.listIdle(60)).map((d) => d.id)).not.toContain(doc.id);
  });

  it('lists only the knowledge bases a caller may read, members included, filtering in SQL', async () => {
    const repo = createSqlKnowledgeBaseStore(handle.db);
    const person = (userId: string, role: Identity['role'] = 'user'): Identity => ({ userId, username: userId, role, via: 'token' });
    const add = async (name: string, ownerId: string, visibility: 'private' | 'organisation') =>
      (await repo.insert({ id: newId('kb'), name, description: '', chunking: chunkingSettingsSchema.parse({}), embedder: { name: 'hashing-ngram-v1', dimension: 16 }, vectorCollection: `v_${name}`, createdBy: ownerId, ownerId, visibility })).id;
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

  it('refuses a name its owner already uses, whatever the case, as a conflict the service can pass on', async () => {
    const store = createSqlKnowledgeBaseStore(handle.db);
    await store.insert(aKnowledgeBase({ name: 'Runbooks', ownerId: 'usr_dana', createdBy: 'usr_dana' }));
    const refused = store.insert(aKnowledgeBase({ name: 'RUNBOOKS', ownerId: 'usr_dana', createdBy: 'usr_dana' }));
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ kind: 'conflict', code: 'knowledge_base_exists', message: 'a knowledge base named "RUNBOOKS" already exists' });
    expect(await store.insert(aKnowledgeBase({ name: 'Runbooks', ownerId: 'usr_eve', createdBy: 'usr_eve' }))).toMatchObject({ name: 'Runbooks', ownerId: 'usr_eve' });
    const other = await store.insert(aKnowledgeBase({ name: 'Playbooks', ownerId: 'usr_dana', createdBy: 'usr_dana' }));
    await expect(store.update(other.id, { name: 'runbooks' })).rejects.toMatchObject({ kind: 'conflict', code: 'knowledge_base_exists' });
    expect(await store.get(other.id)).toMatchObject({ name: 'Playbooks' });
  });

  it('maps chunks and the chunks behind search hits to domain objects, offsets and pages included', async () => {
    const documents = createSqlDocumentStore(handle.db);
    const chunks = createSqlChunkStore(handle.db);
    const doc = (await documents.insert(aDocument(kbId, { title: 'Pump manual', filename: 'pump.pdf', type: 'pdf', mediaType: 'application/pdf' })))!;
    const chunk = { ...aChunk(doc.id, kbId, 0, 'Replace the seals.', ['Maintenance']), start: 120, end: 138, pageStart: 2, pageEnd: 3 };
    await chunks.replace(doc.id, [chunk]);
    expect(await chunks.listByDocument(doc.id)).toEqual([chunk]);
    const hydrated = await createSqlSearchStore(handle.db).hydrate([chunk.id], [kbId], {});
    expect(hydrated.get(chunk.id)).toEqual({
      id: chunk.id,
      documentId: doc.id,
      knowledgeBaseId: kbId,
      text: 'Replace the seals.',
      headingPath: ['Maintenance'],
      pageStart: 2,
      pageEnd: 3,
      start: 120,
      end: 138,
      title: 'Pump manual',
      filename: 'pump.pdf',
    });
  });

  it('commits the work of a transaction together, and none of it when the work fails', async () => {
    const stores = createIngestionStores(handle.db, vectorsElsewhere);
    const kept = aKnowledgeBase();
    await stores.transaction(async (tx) => {
      expect(tx.vectors).toBe(vectorsElsewhere);
      await tx.knowledgeBases.insert(kept);
      await tx.documents.insert(aDocument(kept.id));
    });
    expect(await stores.knowledgeBases.get(kept.id)).toMatchObject({ documents: { total: 1 } });
    // The settings alone are the same knowledge base without its counts.
    const { documents, ...settings } = (await stores.knowledgeBases.get(kept.id))!;
    expect(documents.total).toBe(1);
    expect(await stores.knowledgeBases.getSettings(kept.id)).toEqual(settings);
    expect(await stores.knowledgeBases.getSettings('kb_missing')).toBeNull();
    const dropped = aKnowledgeBase();
    const work = stores.transaction(async (tx) => {
      await tx.knowledgeBases.insert(dropped);
      await tx.documents.insert(aDocument(dropped.id));
      throw new Error('changed my mind');
    });
    await expect(work).rejects.toThrow('changed my mind');
    expect(await stores.knowledgeBases.get(dropped.id)).toBeNull();
  });
});

describe.each(testDatabases())('ingestion migrations on $name', (database) => {
  it('counts the chunks each document already has when the counts are added', async () => {
    const handle = await database.open();
    try {
      await migrate(handle.db, { ...ingestionMigrations, migrations: ingestionMigrations.migrations.filter((m) => m.version <= 4) });
      await handle.db.query(
        `insert into ingestion.knowledge_bases (id, name, chunking, embedder, vector_collection, created_by) values ('kb_before', 'Before', '{}', '{}', 'kb_before_r1', null)`,
      );
      const docs = createSqlDocumentStore(handle.db);
      const [full, empty] = [(await docs.insert(aDocument('kb_before')))!, (await docs.insert(aDocument('kb_before')))!];
      await handle.db.query(
        `insert into ingestion.chunks (id, document_id, knowledge_base_id, ordinal, text, start_offset, end_offset, token_count, tsv)
         values ('chk_a', $1, 'kb_before', 0, 'alpha', 0, 5, 8, to_tsvector('english', 'alpha')),
                ('chk_b', $1, 'kb_before', 1, 'beta', 5, 9, 4, to_tsvector('english', 'beta'))`,
        [full.id],
      );
      await migrate(handle.db, ingestionMigrations);
      const { rows } = await handle.db.query<{ id: string; indexed_chunks: number; indexed_chunk_tokens: string }>(
        'select id, indexed_chunks, indexed_chunk_tokens from ingestion.documents order by id',
      );
      expect(new Map(rows.map((r) => [r.id, [r.indexed_chunks, Number(r.indexed_chunk_tokens)]]))).toEqual(
        new Map([
          [full.id, [2, 12]],
          [empty.id, [0, 0]],
        ]),
      );
      expect(await createSqlSearchStore(handle.db).termStatistics(['alpha'], ['kb_before'])).toEqual({ chunks: 2, meanLength: 6, documentFrequency: new Map([['alpha', 1]]) });
    } finally {
      await handle.close();
    }
  });

  it('keeps knowledge bases made before owners existed visible to everyone and owned by their creator', async () => {
    const handle = await database.open();
    try {
      await migrate(handle.db, { ...ingestionMigrations, migrations: ingestionMigrations.migrations.filter((m) => m.version <= 2) });
      await handle.db.query(
        `insert into ingestion.knowledge_bases (id, name, chunking, embedder, vector_collection, created_by)
         values ('kb_old', 'Old', '{}', '{}', 'kb_old_r1', 'usr_creator'), ('kb_seeded', 'Demo', '{}', '{}', 'kb_seeded_r1', null)`,
      );
      await migrate(handle.db, ingestionMigrations);
      const repo = createSqlKnowledgeBaseStore(handle.db);
      expect(await repo.get('kb_old')).toMatchObject({ ownerId: 'usr_creator', visibility: 'organisation' });
      expect(await repo.get('kb_seeded')).toMatchObject({ ownerId: null, visibility: 'organisation' });
      const stranger: Identity = { userId: 'usr_someone', username: 'someone', role: 'user', via: 'token' };
      expect((await repo.list(stranger)).map((kb) => kb.id)).toEqual(['kb_old', 'kb_seeded']);
    } finally {
      await handle.close();
    }
  });
});
