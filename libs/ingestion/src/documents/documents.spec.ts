import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Identity } from '@llmp/contracts';
import { aDocx } from '../testing/docx-writer';
import { startHarness, type Harness } from '../testing/ingestion-harness';
import { aPdf } from '../testing/pdf-writer';
import type { UploadedFile } from './upload';

const MARKDOWN = `# Operations handbook

## Backups

Nightly backups run at 02:00 and are kept for 35 days. Restores are tested every quarter.

## On-call

The on-call engineer answers pages within fifteen minutes.
`;

const HTML = `<!doctype html><html><head><title>Travel policy</title><style>.x{}</style></head><body>
<nav>Intranet</nav><main><h1>Travel policy</h1><h2>Trains</h2><p>First class is allowed for journeys longer than four hours.</p>
<h2>Hotels</h2><p>Book hotels through the company portal; the nightly cap is 180 euros.</p><script>track()</script></main></body></html>`;

const PDF = aPdf({
  title: 'Pump manual',
  pages: [
    [{ text: 'Installation', size: 20 }, 'Mount the pump on a level concrete base.', 'Connect the inlet before the outlet.'],
    [{ text: 'Maintenance', size: 20 }, 'Replace the impeller seals every 2000 operating hours.'],
  ],
});

const DOCX = aDocx({
  title: 'Onboarding guide',
  paragraphs: [{ heading: 1, text: 'First day' }, 'Collect your badge from reception at nine.', { heading: 1, text: 'Equipment' }, 'Laptops are handed out by IT on Tuesdays.'],
});

describe('documents', () => {
  let h: Harness;
  let kbId: string;

  beforeAll(async () => {
    h = await startHarness();
    // Owned by "user"; the organisation reads it, which lets a colleague try what only editors may do.
    kbId = (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'Handbooks', visibility: 'organisation' }).expect(201)).body.id;
  });
  afterAll(() => h.close());

  it('takes a PDF, a DOCX, an HTML page and a Markdown file in one request to ready, keeping pages and headings', async () => {
    const res = await h
      .as('user')
      .post(`/api/ingestion/knowledge-bases/${kbId}/documents`)
      .attach('file', PDF, { filename: 'pump-manual.pdf', contentType: 'application/pdf' })
      .attach('file', DOCX, { filename: 'onboarding.docx' })
      .attach('file', Buffer.from(HTML), { filename: 'travel.html', contentType: 'text/html' })
      .attach('file', Buffer.from(MARKDOWN), { filename: 'ops.md' })
      .expect(201);
    expect(res.body.rejected).toEqual([]);
    expect(res.body.documents.map((d: { type: string; status: string; duplicate: boolean }) => [d.type, d.status, d.duplicate])).toEqual([
      ['pdf', 'queued', false],
      ['docx', 'queued', false],
      ['html', 'queued', false],
      ['markdown', 'queued', false],
    ]);

    const ready = await Promise.all(res.body.documents.map((d: { id: string }) => h.waitForDocument(d.id)));
    for (const doc of ready) {
      expect(doc).toMatchObject({ status: 'ready', progress: 1, error: null, stale: false });
      for (const stage of ['parsing', 'chunking', 'embedding', 'indexing'] as const) {
        expect(doc.stages[stage]).toMatchObject({ startedAt: expect.any(String), finishedAt: expect.any(String), ms: expect.any(Number) });
      }
      expect(doc.counts.chunks).toBeGreaterThan(0);
      expect(doc.counts.tokens).toBeGreaterThan(0);
    }
    const [pdf, docx, html, md] = ready;
    expect(pdf).toMatchObject({ title: 'Pump manual', counts: { pages: 2 } });
    expect(docx.title).toBe('Onboarding guide');
    expect(html.title).toBe('Travel policy');
    expect(md.title).toBe('Operations handbook');

    const chunksOf = async (id: string) => (await h.as('user').get(`/api/ingestion/documents/${id}/chunks`).expect(200)).body.data;
    const pdfChunks = await chunksOf(pdf.id);
    expect(pdfChunks.find((c: { text: string }) => c.text.includes('impeller'))).toMatchObject({ pageStart: 2, headingPath: ['Maintenance'] });
    const docxChunks = await chunksOf(docx.id);
    expect(docxChunks.find((c: { text: string }) => c.text.includes('Laptops'))?.headingPath).toEqual(['Equipment']);
    const htmlChunks = await chunksOf(html.id);
    expect(htmlChunks.map((c: { text: string }) => c.text).join(' ')).not.toMatch(/Intranet|track\(\)|\.x\{\}/);
    expect(htmlChunks.find((c: { text: string }) => c.text.includes('180 euros'))?.headingPath).toEqual(['Travel policy', 'Hotels']);
    const mdChunks = await chunksOf(md.id);
    expect(mdChunks.find((c: { text: string }) => c.text.includes('fifteen minutes'))?.headingPath).toEqual(['Operations handbook', 'On-call']);
  });

  it('stores files handed to it as a stream of files with their metadata, whatever transport they came by', async () => {
    async function* files(): AsyncGenerator<UploadedFile> {
      yield { filename: 'streamed.txt', declaredType: 'text/plain', content: Readable.from([Buffer.from('Streamed without multipart.\n')]), metadata: { source: 'stream' } };
      yield { filename: 'nothing.txt', content: Readable.from([Buffer.alloc(0)]) };
    }
    const caller: Identity = { userId: 'usr_user', username: 'user', role: 'user', via: 'token' };
    const result = await h.ingestion.documents.upload(kbId, files(), caller);
    expect(result.documents).toEqual([expect.objectContaining({ filename: 'streamed.txt', metadata: { source: 'stream' }, createdBy: 'usr_user', duplicate: false })]);
    expect(result.rejected).toEqual([expect.objectContaining({ filename: 'nothing.txt', status: 400, code: 'empty_file' })]);
    expect(await h.waitForDocument(result.documents[0].id)).toMatchObject({ status: 'ready' });
  });

  it('returns the existing document when the same bytes are uploaded again, whatever the name', async () => {
    const first = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).attach('file', Buffer.from('Same bytes.\n'), { filename: 'a.txt' }).expect(201);
    const again = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).attach('file', Buffer.from('Same bytes.\n'), { filename: 'b.txt' }).expect(200);
    expect(again.body.documents).toEqual([expect.objectContaining({ id: first.body.documents[0].id, filename: 'a.txt', duplicate: true })]);
  });

  it('keeps metadata sent before the files and lists documents by status', async () => {
    const res = await h
      .as('user')
      .post(`/api/ingestion/knowledge-bases/${kbId}/documents`)
      .field('metadata', JSON.stringify({ team: 'ops', year: 2026 }))
      .attach('file', Buffer.from('Metadata travels with the file.\n'), { filename: 'meta.txt' })
      .expect(201);
    const doc = await h.waitForDocument(res.body.documents[0].id);
    expect(doc.metadata).toEqual({ team: 'ops', year: 2026 });
    const list = await h.as('user').get(`/api/ingestion/knowledge-bases/${kbId}/documents?status=ready`).expect(200);
    expect(list.body.data.map((d: { id: string }) => d.id)).toContain(doc.id);
  });

  it('deletes a document with its chunks, vectors and file', async () => {
    const res = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).attach('file', Buffer.from('To be deleted soon.\n'), { filename: 'gone.txt' }).expect(201);
    const id = res.body.documents[0].id;
    await h.waitForDocument(id);
    const kb = (await h.as('user').get(`/api/ingestion/knowledge-bases/${kbId}`).expect(200)).body;
    const vectorsOf = async () => (await h.vectors.search(kb.vectorCollection, new Array(128).fill(1 / Math.sqrt(128)), { topK: 1000, documentIds: [id] })).length;
    expect(await vectorsOf()).toBeGreaterThan(0);
    expect(await readdir(path.join(h.blobDir, kbId))).toContain(id);

    await h.as('user', 'usr_colleague').delete(`/api/ingestion/documents/${id}`).expect(403);
    await h.as('manager').delete(`/api/ingestion/documents/${id}`).expect(204);
    await h.as('user').get(`/api/ingestion/documents/${id}`).expect(404);
    const { rows } = await h.db.query('select 1 from ingestion.chunks where document_id = $1', [id]);
    expect(rows).toEqual([]);
    expect(await vectorsOf()).toBe(0);
    expect(await readdir(path.join(h.blobDir, kbId))).not.toContain(id);
  });

  it("refuses to let a colleague who only reads the knowledge base cancel or delete someone else's document", async () => {
    const res = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).attach('file', Buffer.from('Mine to cancel.\n'), { filename: 'mine.txt' }).expect(201);
    const id = res.body.documents[0].id;
    const colleague = h.as('user', 'usr_colleague');
    await colleague.get(`/api/ingestion/documents/${id}`).expect(200);
    const cancel = await colleague.post(`/api/ingestion/documents/${id}/cancel`).expect(403);
    expect(cancel.body.error).toEqual({ code: 'access_denied', message: `only its owner, an editor or a manager may cancel document ${id}; you may only read it` });
    await colleague.delete(`/api/ingestion/documents/${id}`).expect(403);
    expect((await h.waitForDocument(id)).status).toBe('ready');
  });

  it('refuses to cancel a finished document', async () => {
    const res = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).attach('file', Buffer.from('Finished quickly.\n'), { filename: 'done.txt' }).expect(201);
    await h.waitForDocument(res.body.documents[0].id);
    const cancel = await h.as('user').post(`/api/ingestion/documents/${res.body.documents[0].id}/cancel`).expect(409);
    expect(cancel.body.error).toMatchObject({ code: 'document_finished', message: expect.stringMatching(/already ready/) });
  });
});
