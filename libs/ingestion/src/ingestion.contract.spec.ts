import type { z } from 'zod';
import {
  chunkListSchema,
  documentListSchema,
  documentSchema,
  knowledgeBaseListSchema,
  knowledgeBaseSchema,
  reindexResponseSchema,
  searchResponseSchema,
  uploadResponseSchema,
} from '@llmp/contracts';
import { startHarness, type Harness } from './testing/ingestion-harness';
import { aPdf } from './testing/pdf-writer';

/** The body parses, and nothing in it is left out of the contract (zod drops keys it does not know). */
function expectContract(schema: z.ZodType, body: unknown): void {
  expect(schema.parse(body)).toEqual(body);
}

/**
 * Other services and the UI read ingestion's answers through the schemas in
 * libs/contracts; every answer they rely on must match them exactly.
 */
describe('the ingestion contract', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('describes knowledge bases, uploads, documents, chunks, reindexing and search as the service answers them', async () => {
    const created = await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'Contract', description: 'Pumps' }).expect(201);
    expectContract(knowledgeBaseSchema, created.body);
    const kbId = created.body.id as string;

    const pdf = aPdf({ title: 'Pump manual', pages: [[{ text: 'Installation', size: 20 }, 'Mount the pump on a level base.'], [{ text: 'Maintenance', size: 20 }, 'Replace the impeller seals every 2000 hours.']] });
    const upload = await h
      .as('user')
      .post(`/api/ingestion/knowledge-bases/${kbId}/documents`)
      .field('metadata', JSON.stringify({ team: 'ops', year: 2026, audited: true, owner: null }))
      .attach('file', pdf, { filename: 'pump.pdf', contentType: 'application/pdf' })
      .attach('file', Buffer.from(''), { filename: 'empty.txt' })
      .expect(207);
    expectContract(uploadResponseSchema, upload.body);
    expect(upload.body.rejected).toEqual([expect.objectContaining({ filename: 'empty.txt', status: 400, code: 'empty_file' })]);
    const id = upload.body.documents[0].id as string;

    const ready = await h.waitForDocument(id);
    expect(ready.status).toBe('ready');
    expectContract(documentSchema, (await h.as('user').get(`/api/ingestion/documents/${id}`).expect(200)).body);
    expectContract(documentListSchema, (await h.as('user').get(`/api/ingestion/knowledge-bases/${kbId}/documents`).expect(200)).body);
    const chunks = (await h.as('user').get(`/api/ingestion/documents/${id}/chunks`).expect(200)).body;
    expectContract(chunkListSchema, chunks);
    expect(chunks.data.some((c: { pageStart: number | null }) => c.pageStart === 2)).toBe(true);
    expectContract(knowledgeBaseListSchema, (await h.as('user').get('/api/ingestion/knowledge-bases').expect(200)).body);

    for (const mode of ['hybrid', 'vector', 'fulltext']) {
      const search = await h.as('user').post('/api/ingestion/search').send({ query: 'impeller seals', knowledgeBaseIds: [kbId], mode }).expect(200);
      expectContract(searchResponseSchema, search.body);
      expect(search.body.results.length).toBeGreaterThan(0);
    }

    const damaged = await h
      .as('user')
      .post(`/api/ingestion/knowledge-bases/${kbId}/documents`)
      .attach('file', Buffer.concat([pdf.subarray(0, 40), Buffer.from(' garbage')]), { filename: 'broken.pdf' })
      .expect(201);
    const failed = await h.waitForDocument(damaged.body.documents[0].id);
    expect(failed).toMatchObject({ status: 'failed', error: { stage: 'parsing' } });
    expectContract(documentSchema, (await h.as('user').get(`/api/ingestion/documents/${failed.id}`).expect(200)).body);

    expectContract(reindexResponseSchema, (await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/reindex`).send({}).expect(202)).body);
  });
});
