import { readdir } from 'node:fs/promises';
import path from 'node:path';
import iconv from 'iconv-lite';
import request from 'supertest';
import type { RouteSpec } from '@llmp/http';
import { aDocx, aDocxBomb } from './testing/docx-writer';
import { startHarness, type Harness } from './testing/ingestion-harness';
import { multipart, type Part } from './testing/multipart';
import { aPdf } from './testing/pdf-writer';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
const MAX_FILE = 256 * 1024;

/**
 * Every kind of bad input gets a clear 4xx at upload or a failed document
 * with a reason; none gets a 500, and the worker goes on processing good files.
 */
describe('bad input', () => {
  let h: Harness;
  let kbId: string;
  const statuses: number[] = [];

  beforeAll(async () => {
    h = await startHarness({ uploads: { maxFileBytes: MAX_FILE, maxFiles: 3 } });
    kbId = (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'Bad input' }).expect(201)).body.id;
  });
  afterAll(async () => {
    // Closed first: a failed expectation must not leave the harness running and Jest hanging.
    await h.close();
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  async function send(parts: Part[]) {
    const { body, contentType } = multipart(parts);
    const res = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).set('content-type', contentType).send(body);
    statuses.push(res.status);
    return res;
  }

  async function failedDocument(part: Part) {
    const res = await send([part]);
    expect(res.status).toBe(201);
    return h.waitForDocument(res.body.documents[0].id);
  }

  describe('refused at upload with a 4xx', () => {
    it.each([
      ['a 0-byte file', { filename: 'empty.txt', content: '' }, 400, 'empty_file', /^"empty.txt": the file is empty \(0 bytes\)$/],
      ['a whitespace-only file', { filename: 'blank.md', content: '\n  \n\t' }, 400, 'empty_file', /only whitespace/],
      ['an image named as text', { filename: 'photo.txt', contentType: 'text/plain', content: PNG }, 415, 'unsupported_type', /the content is a PNG image, which is not a supported document type/],
      ['text named as a PDF', { filename: 'invoice.pdf', contentType: 'application/pdf', content: 'Just some text.' }, 415, 'content_mismatch', /says PDF but the content is plain text/],
      ['prose named as JSON', { filename: 'data.json', content: 'this is not json at all' }, 400, 'invalid_json', /says JSON but the content is not JSON: it starts with "this is not json at all"/],
      ['a name with path traversal', { filename: '../../etc/passwd.txt', content: 'root:x:0:0' }, 400, 'invalid_filename', /must be a bare name, without a path/],
      ['a Windows path', { filename: 'C:\\Users\\me\\notes.txt', content: 'notes' }, 400, 'invalid_filename', /without a path/],
      ['a name with control characters', { encodedFilename: 'bell\u0007\u0001.txt', content: 'ding' }, 400, 'invalid_filename', /control characters/],
      ['a name with direction overrides', { encodedFilename: 'invoice\u202Etxt.exe', content: 'spoof' }, 400, 'invalid_filename', /text-direction/],
      ['a file over the size limit', { filename: 'big.txt', content: 'x'.repeat(MAX_FILE + 1) }, 413, 'file_too_large', /larger than the limit of 0.3 MB \(262144 bytes\)/],
    ] as const)('%s', async (_label, part, status, code, message) => {
      const res = await send([part as Part]);
      expect(res.status).toBe(status);
      expect(res.body.error).toMatchObject({ code, message: expect.stringMatching(message) });
      const sent = 'encodedFilename' in part ? part.encodedFilename : part.filename;
      expect(res.body.error.details).toEqual([expect.objectContaining({ filename: sent, code, status })]);
    });

    it('a raw control character in a part header', async () => {
      const res = await send([{ filename: 'bell\u0007.txt', content: 'ding' }]);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'malformed_multipart', message: 'the multipart request is malformed: Malformed part header' });
    });

    it('writes nothing outside the blob store and leaves no staged files behind', async () => {
      expect(await readdir(path.join(h.blobDir, '.staging'))).toEqual([]);
      const top = await readdir(h.blobDir);
      expect(top.every((name) => name === '.staging' || name.startsWith('kb_'))).toBe(true);
      await expect(readdir(path.join(h.blobDir, '..', 'etc'))).rejects.toThrow(/ENOENT/);
    });

    it('accepts the good files of a request and lists the bad ones', async () => {
      const res = await send([
        { filename: 'fine.txt', content: 'A perfectly fine file.' },
        { filename: 'huge.txt', content: 'y'.repeat(MAX_FILE + 10) },
        { filename: 'pic.md', content: PNG },
      ]);
      expect(res.status).toBe(207);
      expect(res.body.documents).toHaveLength(1);
      expect(res.body.rejected.map((r: { filename: string; code: string }) => [r.filename, r.code])).toEqual([
        ['huge.txt', 'file_too_large'],
        ['pic.md', 'unsupported_type'],
      ]);
    });

    it('accepts text files of one, two and three bytes in one request and reports each', async () => {
      const res = await send([
        { filename: 'one.txt', content: 'a' },
        { filename: 'two.txt', content: 'ok' },
        { filename: 'three.txt', content: 'yes' },
      ]);
      expect(res.status).toBe(201);
      expect(res.body.rejected).toEqual([]);
      expect(res.body.documents.map((d: { filename: string; type: string }) => [d.filename, d.type])).toEqual([
        ['one.txt', 'text'],
        ['two.txt', 'text'],
        ['three.txt', 'text'],
      ]);
      for (const doc of res.body.documents) expect(await h.waitForDocument(doc.id)).toMatchObject({ status: 'ready' });
    });

    it('reports a refused tiny file beside the stored one, with 207 and the stored id', async () => {
      const res = await send([
        { filename: 'tiny.md', content: ' \n ' },
        { filename: 'notes.txt', content: 'Notes that are stored.' },
      ]);
      expect(res.status).toBe(207);
      expect(res.body.documents).toEqual([expect.objectContaining({ id: expect.stringMatching(/^doc_/), filename: 'notes.txt' })]);
      expect(res.body.rejected).toEqual([expect.objectContaining({ filename: 'tiny.md', status: 400, code: 'empty_file' })]);
    });

    it('refuses more files than allowed per request', async () => {
      const res = await send(['a', 'b', 'c', 'd'].map((n) => ({ filename: `${n}.txt`, content: `file ${n} of four` })));
      expect(res.status).toBe(207);
      expect(res.body.documents).toHaveLength(3);
      expect(res.body.rejected).toEqual([expect.objectContaining({ filename: null, code: 'too_many_files', message: 'at most 3 files per request; the rest were ignored' })]);
    });

    it('refuses a request larger than all its files could be, before reading it', async () => {
      const res = await h
        .as('user')
        .post(`/api/ingestion/knowledge-bases/${kbId}/documents`)
        .set('content-type', 'multipart/form-data; boundary=x')
        .set('content-length', String(10 * MAX_FILE))
        .send(Buffer.alloc(16));
      statuses.push(res.status);
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('request_too_large');
    });

    it('refuses a body that is not multipart, a broken multipart body, one without files, and bad metadata', async () => {
      const json = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).send({ file: 'x' });
      statuses.push(json.status);
      expect(json.status).toBe(415);
      expect(json.body.error).toMatchObject({ code: 'multipart_required', message: expect.stringMatching(/not application\/json/) });

      const noBoundary = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).set('content-type', 'multipart/form-data').send('x');
      statuses.push(noBoundary.status);
      expect(noBoundary.status).toBe(400);
      expect(noBoundary.body.error.code).toBe('malformed_multipart');

      const { body, contentType } = multipart([{ filename: 'cut.txt', content: 'this upload is cut short' }]);
      const truncated = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).set('content-type', contentType).send(body.subarray(0, body.length - 20));
      statuses.push(truncated.status);
      expect(truncated.status).toBe(400);
      expect(truncated.body.error).toMatchObject({ code: 'malformed_multipart', message: expect.stringMatching(/Unexpected end of form/) });

      const fieldsOnly = await send([{ name: 'note', content: 'no file here' }]);
      expect(fieldsOnly.status).toBe(400);
      expect(fieldsOnly.body.error.code).toBe('no_files');

      const badMeta = await send([{ name: 'metadata', content: '{"nested": {"no": 1}}' }, { filename: 'm.txt', content: 'metadata test' }]);
      expect(badMeta.status).toBe(400);
      expect(badMeta.body.error.code).toBe('invalid_metadata');

      const missing = await h.as('user').post('/api/ingestion/knowledge-bases/kb_missing/documents').set('content-type', contentType).send(body);
      statuses.push(missing.status);
      expect(missing.status).toBe(404);
    });
  });

  describe('NUL bytes, which Postgres cannot store, refused with a 400 naming the field', () => {
    const sendAs = async (test: request.Test) => {
      const res = await test;
      statuses.push(res.status);
      return res;
    };
    const expectNul = (res: request.Response, field: string) => {
      expect({ status: res.status, error: res.body.error }).toMatchObject({
        status: 400,
        error: { code: 'invalid_request', message: expect.stringContaining(`${field}: must not contain NUL bytes`) },
      });
    };
    const routesWithParams = () => (h.ingestion.app.locals.routes as RouteSpec[]).filter((r) => r.path.includes('/:'));

    it('in every path parameter of every route', async () => {
      const routes = routesWithParams();
      expect(routes.length).toBeGreaterThanOrEqual(11);
      for (const spec of routes) {
        const names = [...spec.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
        const res = await sendAs(h.as('manager')[spec.method](spec.path.replace(/:[A-Za-z]+/g, 'x%00y')).send({}));
        for (const name of names) expectNul(res, `params.${name}`);
      }
    });

    it('in knowledge base names and descriptions, on create and on change', async () => {
      expectNul(await sendAs(h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'nul\u0000name' })), 'body.name');
      expectNul(await sendAs(h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'fine', description: 'a\u0000b' })), 'body.description');
      expectNul(await sendAs(h.as('user').patch(`/api/ingestion/knowledge-bases/${kbId}`).send({ description: '\u0000' })), 'body.description');
      expectNul(await sendAs(h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/reindex`).send({ documentIds: ['doc_\u0000'] })), 'body.documentIds[0]');
      expectNul(await sendAs(h.as('user').put(`/api/ingestion/knowledge-bases/${kbId}/members/usr_someone`).send({ role: 'viewer\u0000' })), 'body.role');
    });

    it('in search queries and filters', async () => {
      const search = (body: object) => sendAs(h.as('user').post('/api/ingestion/search').send({ query: 'fine', knowledgeBaseIds: [kbId], ...body }));
      expectNul(await search({ query: 'boiler\u0000' }), 'body.query');
      expectNul(await search({ knowledgeBaseIds: [`${kbId}\u0000`] }), 'body.knowledgeBaseIds[0]');
      expectNul(await search({ filters: { documentIds: ['doc\u0000'] } }), 'body.filters.documentIds[0]');
      expectNul(await search({ filters: { metadata: { team: 'h\u0000r' } } }), 'body.filters.metadata.team');
      const key = await search({ filters: { metadata: { 'te\u0000am': 'hr' } } });
      expect(key.status).toBe(400);
      expect(key.body.error.message).toBe('body.filters.metadata: keys must not contain NUL bytes');
    });

    it('in list cursors and other query parameters', async () => {
      expectNul(await sendAs(h.as('user').get(`/api/ingestion/knowledge-bases/${kbId}/documents?after=doc_%00`)), 'query.after');
      expectNul(await sendAs(h.as('user').get(`/api/ingestion/knowledge-bases/${kbId}/documents?status=ready%00`)), 'query.status');
      expectNul(await sendAs(h.as('user').get('/api/ingestion/knowledge-bases?cursor=%00')), 'query.cursor');
    });

    it('in upload metadata values and keys, and in file names', async () => {
      for (const metadata of ['{"team": "h\\u0000r"}', '{"te\\u0000am": "hr"}']) {
        const res = await send([{ name: 'metadata', content: metadata }, { filename: 'meta.txt', content: `metadata ${metadata}` }]);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'invalid_metadata', message: expect.stringContaining('must not contain NUL bytes') });
      }
      const named = await send([{ encodedFilename: 'nul\u0000.txt', content: 'named with a NUL' }]);
      expect(named.status).toBe(400);
      expect(named.body.error).toMatchObject({ code: 'invalid_filename', message: expect.stringContaining('control characters') });
    });
  });

  describe('malformed percent-encoding in a path, refused with 400 malformed_path', () => {
    it.each(['%zz', '%ff%fe', '%e0%a4%a'])('%s in every path parameter of every route', async (raw) => {
      for (const spec of (h.ingestion.app.locals.routes as RouteSpec[]).filter((r) => r.path.includes('/:'))) {
        const res = await h.as('manager')[spec.method](spec.path.replace(/:[A-Za-z]+/g, raw)).send({});
        statuses.push(res.status);
        expect({ route: `${spec.method} ${spec.path}`, status: res.status, code: res.body.error?.code }).toEqual({
          route: `${spec.method} ${spec.path}`,
          status: 400,
          code: 'malformed_path',
        });
      }
    });
  });

  describe('accepted, then failed with a reason', () => {
    it('a damaged PDF', async () => {
      const pdf = aPdf({ pages: [['will be cut']] });
      const doc = await failedDocument({ filename: 'broken.pdf', content: Buffer.concat([pdf.subarray(0, 40), Buffer.from(' garbage')]) });
      expect(doc).toMatchObject({ status: 'failed', error: { code: 'pdf_corrupt', stage: 'parsing', message: expect.stringMatching(/^the PDF is damaged/) } });
      expect(doc.attempts).toBe(1);
    });

    it('a password-protected PDF', async () => {
      const doc = await failedDocument({ filename: 'secret.pdf', content: aPdf({ pages: [['classified']], encryptedWithUnknownPassword: true }) });
      expect(doc.error).toMatchObject({ code: 'pdf_encrypted', message: 'the PDF is password-protected; remove the password and upload it again' });
    });

    it('a DOCX that is a zip bomb', async () => {
      const doc = await failedDocument({ filename: 'bomb.docx', content: aDocxBomb({ bytes: 4 * 1024 * 1024 }) });
      expect(doc).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'zip_bomb', message: expect.stringMatching(/decompression bomb/) } });
    });

    it('JSON that is not valid', async () => {
      const doc = await failedDocument({ filename: 'config.json', content: '{\n  "name": "x",\n  "tags": [1, 2,\n}' });
      expect(doc.error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/^the file is not valid JSON at line 4, column 1/) });
      const lines = await failedDocument({ filename: 'rows.jsonl', content: '{"a": 1}\n{"a": 2}\nnot json\n' });
      expect(lines.error).toMatchObject({ code: 'invalid_json', message: expect.stringMatching(/^line 3 is not valid JSON/) });
    });
  });

  describe('accepted and handled', () => {
    it('non-UTF-8 text, decoded and searchable', async () => {
      const text = 'Die Größe des Kühlschranks beträgt 180 Zentimeter. Prüfen Sie die Türdichtung jährlich.';
      const res = await send([{ filename: 'kuehlschrank.txt', content: iconv.encode(text, 'windows-1252') }]);
      const doc = await h.waitForDocument(res.body.documents[0].id);
      expect(doc).toMatchObject({ status: 'ready', warnings: [expect.stringMatching(/not UTF-8; it was read as (windows-1252|iso-8859-1)/)] });
      const hits = (await h.as('user').post('/api/ingestion/search').send({ query: 'Türdichtung jährlich', knowledgeBaseIds: [kbId] }).expect(200)).body.results;
      expect(hits[0].text).toBe(text);
    });

    it('a PDF under a wrong name, processed as what it is', async () => {
      const res = await send([{ filename: 'report.txt', contentType: 'text/plain', content: aPdf({ pages: [['Quarterly report: revenue grew.']] }) }]);
      const doc = await h.waitForDocument(res.body.documents[0].id);
      expect(doc).toMatchObject({ status: 'ready', type: 'pdf', warnings: ['the name or Content-Type says plain text but the content is PDF; processed as PDF'] });
    });

    it('leaves the worker and the service healthy for the next good file', async () => {
      const res = await send([{ filename: 'after.docx', content: aDocx({ paragraphs: [{ heading: 1, text: 'Still alive' }, 'The worker survived every bad file.'] }) }]);
      expect(await h.waitForDocument(res.body.documents[0].id)).toMatchObject({ status: 'ready' });
      const health = await request(h.server.url).get('/healthz').expect(200);
      expect(health.body.checks).toMatchObject({ database: { status: 'up' }, queue: { status: 'up' }, vectors: { status: 'up' }, blobs: { status: 'up' } });
    });
  });
});
