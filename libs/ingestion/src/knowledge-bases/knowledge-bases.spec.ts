import { access } from 'node:fs/promises';
import path from 'node:path';
import { startHarness, type Harness } from '../testing/ingestion-harness';
import { prose } from '../testing/text-generator';

describe('knowledge bases', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const create = (body: object) => h.as('user').post('/api/ingestion/knowledge-bases').send(body);

  it('creates one owned by its creator, private, with default chunking and the default embedder, and lists it with document counts', async () => {
    const res = await create({ name: 'Manuals', description: 'Field manuals' }).expect(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^kb_[0-9a-z]{26}$/),
      name: 'Manuals',
      chunking: { mode: 'recursive', maxTokens: 512, overlapTokens: 64 },
      embedder: { name: 'hashing-ngram-v1', dimension: 128 },
      settingsRevision: 1,
      createdBy: 'usr_user',
      ownerId: 'usr_user',
      visibility: 'private',
      documents: { total: 0, ready: 0, processing: 0, failed: 0, cancelled: 0, stale: 0 },
    });
    const list = await h.as('user').get('/api/ingestion/knowledge-bases').expect(200);
    expect(list.body.data.map((kb: { name: string }) => kb.name)).toContain('Manuals');
    await h.as('user').get(`/api/ingestion/knowledge-bases/${res.body.id}`).expect(200);
  });

  describe('access', () => {
    const alice = () => h.as('user', 'usr_alice');
    const bob = () => h.as('user', 'usr_bob');
    const names = async (as: ReturnType<typeof alice>) =>
      ((await as.get('/api/ingestion/knowledge-bases').expect(200)).body.data as Array<{ name: string }>).map((kb) => kb.name);

    it("hides a user's private knowledge base and its documents from another user, behind 404s, and shows managers everything", async () => {
      const kb = (await alice().post('/api/ingestion/knowledge-bases').send({ name: 'Alice diary' }).expect(201)).body;
      const doc = (await alice().post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from('Dear diary, the boiler hums.'), { filename: 'd.txt' }).expect(201)).body.documents[0];
      expect(await names(alice())).toContain('Alice diary');
      expect(await names(bob())).not.toContain('Alice diary');
      expect(await names(h.as('manager'))).toContain('Alice diary');
      const missing = await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(404);
      expect(missing.body.error).toEqual({ code: 'knowledge_base_not_found', message: `knowledge base ${kb.id} does not exist` });
      const missingDoc = await bob().get(`/api/ingestion/documents/${doc.id}`).expect(404);
      expect(missingDoc.body.error).toEqual({ code: 'document_not_found', message: `document ${doc.id} does not exist` });
      await bob().post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from('graffiti'), { filename: 'g.txt' }).expect(404);
      const search = await bob().post('/api/ingestion/search').send({ query: 'boiler', knowledgeBaseIds: [kb.id] }).expect(404);
      expect(search.body.error.code).toBe('knowledge_base_not_found');
      await h.as('manager').get(`/api/ingestion/documents/${doc.id}`).expect(200);
      // A name is unique per owner, so Bob learns nothing by choosing the same one.
      await bob().post('/api/ingestion/knowledge-bases').send({ name: 'Alice diary' }).expect(201);
    });

    it('lets every user read an organisation knowledge base but change it only as owner, editor or manager', async () => {
      const kb = (await alice().post('/api/ingestion/knowledge-bases').send({ name: 'Team wiki', visibility: 'organisation' }).expect(201)).body;
      expect(await names(bob())).toContain('Team wiki');
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(200);
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}/documents`).expect(200);
      const refused = await bob().post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from('edit'), { filename: 'e.txt' }).expect(403);
      expect(refused.body.error).toEqual({
        code: 'access_denied',
        message: `only its owner, an editor or a manager may upload to knowledge base ${kb.id}; you may only read it`,
      });
      await bob().patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ name: 'Bob wiki' }).expect(403);
      await bob().delete(`/api/ingestion/knowledge-bases/${kb.id}`).expect(403);
      await bob().put(`/api/ingestion/knowledge-bases/${kb.id}/members/usr_bob`).send({ role: 'editor' }).expect(403);

      await alice().put(`/api/ingestion/knowledge-bases/${kb.id}/members/usr_bob`).send({ role: 'editor' }).expect(200);
      const up = await bob().post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from('Edited by Bob.'), { filename: 'bob.txt' }).expect(201);
      const docId = up.body.documents[0].id;
      await h.waitForDocument(docId);
      await bob().post(`/api/ingestion/knowledge-bases/${kb.id}/reindex`).send({ all: true }).expect(202);
      // An editor changes the contents, not the knowledge base itself.
      const notAdmin = await bob().patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ visibility: 'private' }).expect(403);
      expect(notAdmin.body.error.message).toBe(`only its owner or a manager may change knowledge base ${kb.id}; you may edit its contents`);
      await bob().delete(`/api/ingestion/documents/${docId}`).expect(204);
      await h.as('manager').delete(`/api/ingestion/knowledge-bases/${kb.id}`).expect(204);
    });

    it('manages members: a viewer reads a private knowledge base, removing them hides it again', async () => {
      const kb = (await alice().post('/api/ingestion/knowledge-bases').send({ name: 'Shared notes' }).expect(201)).body;
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(404);
      const added = await alice().put(`/api/ingestion/knowledge-bases/${kb.id}/members/usr_bob`).send({ role: 'viewer' }).expect(200);
      expect(added.body).toEqual({ userId: 'usr_bob', role: 'viewer', addedBy: 'usr_alice', addedAt: expect.any(String) });
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(200);
      expect((await bob().get(`/api/ingestion/knowledge-bases/${kb.id}/members`).expect(200)).body.data).toEqual([added.body]);
      await bob().post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from('no'), { filename: 'n.txt' }).expect(403);

      const bad = await alice().put(`/api/ingestion/knowledge-bases/${kb.id}/members/bob`).send({ role: 'owner' }).expect(400);
      expect(bad.body.error.message).toMatch(/body\.role: Invalid option/);
      const badId = await alice().put(`/api/ingestion/knowledge-bases/${kb.id}/members/bob`).send({ role: 'viewer' }).expect(400);
      expect(badId.body.error.message).toBe('params.userId: must be a user id such as "usr_01j…"');
      const self = await alice().put(`/api/ingestion/knowledge-bases/${kb.id}/members/usr_alice`).send({ role: 'viewer' }).expect(400);
      expect(self.body.error.code).toBe('owner_is_not_a_member');

      await alice().delete(`/api/ingestion/knowledge-bases/${kb.id}/members/usr_bob`).expect(204);
      await alice().delete(`/api/ingestion/knowledge-bases/${kb.id}/members/usr_bob`).expect(404);
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(404);
      // A manager may change who has access to anyone's knowledge base.
      await h.as('manager').put(`/api/ingestion/knowledge-bases/${kb.id}/members/usr_bob`).send({ role: 'editor' }).expect(200);
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(200);
    });

    it('opens a private knowledge base to the organisation when its owner changes the visibility, and closes it again', async () => {
      const kb = (await alice().post('/api/ingestion/knowledge-bases').send({ name: 'Drafts' }).expect(201)).body;
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(404);
      expect((await alice().patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ visibility: 'organisation' }).expect(200)).body.visibility).toBe('organisation');
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(200);
      await alice().patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ visibility: 'private' }).expect(200);
      await bob().get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(404);
      await bob().patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ visibility: 'organisation' }).expect(404);
      await alice().delete(`/api/ingestion/knowledge-bases/${kb.id}`).expect(204);
    });
  });

  it('refuses a duplicate name, an unknown embedder and bad chunking, saying which', async () => {
    await create({ name: 'Unique' }).expect(201);
    const dup = await create({ name: 'unique' }).expect(409);
    expect(dup.body.error).toMatchObject({ code: 'knowledge_base_exists', message: 'a knowledge base named "unique" already exists' });
    const embedder = await create({ name: 'E', embedder: { name: 'word2vec', dimension: 300 } }).expect(400);
    expect(embedder.body.error.message).toBe('body.embedder: embedder "word2vec" is not available here; choose one of: hashing-ngram-v1');
    const chunking = await create({ name: 'C', chunking: { maxTokens: 10, overlapTokens: 400 } }).expect(400);
    expect(chunking.body.error.message).toMatch(/body\.chunking\.maxTokens: must be at least 32/);
    await h.as('user').get('/api/ingestion/knowledge-bases/kb_missing').expect(404);
  });

  it('marks documents stale when chunking changes, and reindex rebuilds them with the new settings', async () => {
    const kb = (await create({ name: 'Stale test', chunking: { maxTokens: 512, overlapTokens: 0 } }).expect(201)).body;
    const text = prose({ paragraphs: 30, seed: 5 }).join('\n\n');
    const up = await h.as('user').post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from(text), { filename: 'long.txt' }).expect(201);
    const id = up.body.documents[0].id;
    const before = await h.waitForDocument(id);
    expect(before).toMatchObject({ status: 'ready', stale: false, indexedRevision: 1 });

    const changed = await h.as('manager').patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ chunking: { maxTokens: 128, overlapTokens: 16 } }).expect(200);
    expect(changed.body).toMatchObject({ settingsRevision: 2, chunking: { maxTokens: 128 }, documents: { stale: 1, ready: 1 } });
    expect((await h.as('user').get(`/api/ingestion/documents/${id}`).expect(200)).body.stale).toBe(true);
    // A rename alone changes nothing about the index.
    const renamed = await h.as('manager').patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ name: 'Stale test 2' }).expect(200);
    expect(renamed.body.settingsRevision).toBe(2);

    const reindex = await h.as('manager').post(`/api/ingestion/knowledge-bases/${kb.id}/reindex`).send({}).expect(202);
    expect(reindex.body).toEqual({ queued: [id], skipped: [] });
    const after = await h.waitForDocument(id, (d) => d.status === 'ready' && d.indexedRevision === 2);
    expect(after.stale).toBe(false);
    expect(after.counts.chunks!).toBeGreaterThan(before.counts.chunks!);
    const chunks = (await h.as('user').get(`/api/ingestion/documents/${id}/chunks?limit=500`).expect(200)).body;
    expect(chunks.total).toBe(after.counts.chunks);
    expect(Math.max(...chunks.data.map((c: { tokenCount: number }) => c.tokenCount))).toBeLessThanOrEqual(128);
    // Nothing stale is left: a second reindex has nothing to do.
    expect((await h.as('manager').post(`/api/ingestion/knowledge-bases/${kb.id}/reindex`).send({}).expect(202)).body).toEqual({ queued: [], skipped: [] });
  });

  it('moves to a new vector collection when the embedder changes, and search works again after reindex', async () => {
    const kb = (await create({ name: 'Embedder change' }).expect(201)).body;
    const up = await h.as('user').post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from('The boiler pressure must stay below three bar.'), { filename: 'boiler.txt' }).expect(201);
    const id = up.body.documents[0].id;
    await h.waitForDocument(id);
    const changed = (await h.as('manager').patch(`/api/ingestion/knowledge-bases/${kb.id}`).send({ embedder: { name: 'hashing-ngram-v1', dimension: 64 } }).expect(200)).body;
    expect(changed.vectorCollection).not.toBe(kb.vectorCollection);
    expect(changed.documents.stale).toBe(1);
    const { rows } = await h.db.query(`select to_regclass($1) as t`, [`ingestion.vectors_${kb.vectorCollection}`]);
    expect(rows[0]).toEqual({ t: null });
    const vectorOnly = { query: 'boiler pressure', knowledgeBaseIds: [kb.id], mode: 'vector' };
    expect((await h.as('user').post('/api/ingestion/search').send(vectorOnly).expect(200)).body.results).toEqual([]);
    await h.as('manager').post(`/api/ingestion/knowledge-bases/${kb.id}/reindex`).send({ documentIds: [id] }).expect(202);
    await h.waitForDocument(id, (d) => d.status === 'ready' && !d.stale);
    const results = (await h.as('user').post('/api/ingestion/search').send(vectorOnly).expect(200)).body.results;
    expect(results[0].citation.documentId).toBe(id);
    expect(await h.vectors.count(changed.vectorCollection)).toBe(1);
  });

  it('deletes a knowledge base with its documents, chunks, vectors and files', async () => {
    const kb = (await create({ name: 'Doomed' }).expect(201)).body;
    const up = await h.as('user').post(`/api/ingestion/knowledge-bases/${kb.id}/documents`).attach('file', Buffer.from('Soon gone.'), { filename: 'x.txt' }).expect(201);
    await h.waitForDocument(up.body.documents[0].id);
    await h.as('manager').delete(`/api/ingestion/knowledge-bases/${kb.id}`).expect(204);
    await h.as('user').get(`/api/ingestion/knowledge-bases/${kb.id}`).expect(404);
    const { rows } = await h.db.query('select count(*)::int as n from ingestion.chunks where knowledge_base_id = $1', [kb.id]);
    expect(rows[0]).toEqual({ n: 0 });
    const table = await h.db.query(`select to_regclass($1) as t`, [`ingestion.vectors_${kb.vectorCollection}`]);
    expect(table.rows[0]).toEqual({ t: null });
    await expect(access(path.join(h.blobDir, kb.id))).rejects.toThrow(/ENOENT/);
  });
});
