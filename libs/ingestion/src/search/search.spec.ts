import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { aDocx } from '../testing/docx-writer';
import { startHarness, type Harness } from '../testing/ingestion-harness';
import { aPdf } from '../testing/pdf-writer';
import { prose } from '../testing/text-generator';
import { createEmbedderCatalog } from '../embedding/embedder-catalog';
import { HASHING_EMBEDDER } from '../embedding/hashing-embedder';
import { identifierParts } from './identifiers';
import { bm25, BM25_DEFAULTS, EMBEDDER_FUSION_WEIGHTS, fusionWeights, reciprocalRankFusion, scoreFusion, SEMANTIC_FUSION_WEIGHTS, type TermMatch } from './search';

interface Hit {
  chunkId: string;
  text: string;
  score: number;
  citation: { documentId: string; title: string; filename: string; page: number | null; heading: string | null; headingPath: string[]; startOffset: number; endOffset: number; score: number };
  ranks: { vector: number | null; fulltext: number | null };
  scores: { vector: number | null; fulltext: number | null };
}

describe('reciprocalRankFusion', () => {
  it('rewards agreement between rankings and keeps items found by only one', () => {
    const fused = reciprocalRankFusion([['a', 'b', 'c'], ['b', 'd']]);
    expect([...fused.entries()].sort((x, y) => y[1] - x[1]).map(([id]) => id)).toEqual(['b', 'a', 'd', 'c']);
    expect(fused.get('b')).toBeCloseTo(1 / 62 + 1 / 61);
  });

  it('adds normalised scores by the weights\' shares, keeping how far apart hits are', () => {
    const fused = scoreFusion(
      [
        { hits: [{ id: 'a', score: 0.9 }, { id: 'b', score: 0.8 }, { id: 'c', score: 0.7 }], normalise: 'min-max' },
        { hits: [{ id: 'b', score: 10 }, { id: 'c', score: 1 }], normalise: 'max' },
      ],
      [1, 3],
    );
    expect(fused.get('a')).toBeCloseTo(0.25);
    expect(fused.get('b')).toBeCloseTo(0.25 * 0.5 + 0.75);
    expect(fused.get('c')).toBeCloseTo(0.75 * 0.1);
    expect(scoreFusion([{ hits: [{ id: 'x', score: 0.3 }], normalise: 'min-max' }, { hits: [], normalise: 'max' }], [1, 1]).get('x')).toBeCloseTo(0.5);
  });

  it('scales each ranking by its weight', () => {
    const fused = reciprocalRankFusion([['a', 'b'], ['b', 'a']], 60, [0.2, 1]);
    expect(fused.get('b')).toBeCloseTo(0.2 / 62 + 1 / 61);
    expect(fused.get('b')!).toBeGreaterThan(fused.get('a')!);
  });
});

describe('fusionWeights', () => {
  it('lets the hashing embedder count for less than the lexical half, and a semantic model as much', () => {
    expect(fusionWeights([HASHING_EMBEDDER])).toEqual(EMBEDDER_FUSION_WEIGHTS[HASHING_EMBEDDER]);
    expect(fusionWeights([HASHING_EMBEDDER]).vector).toBeLessThan(fusionWeights([HASHING_EMBEDDER]).fulltext);
    expect(fusionWeights(['text-embedding-3-small'])).toEqual(SEMANTIC_FUSION_WEIGHTS);
    expect(fusionWeights(['text-embedding-3-small', HASHING_EMBEDDER]).vector).toBe(EMBEDDER_FUSION_WEIGHTS[HASHING_EMBEDDER].vector);
  });
});

describe('bm25', () => {
  const aMatch = (id: string, frequency: Record<string, number>, { length = 100, heading = [] as string[], title = [] as string[] } = {}): TermMatch => ({
    id,
    length,
    frequency: new Map(Object.entries(frequency)),
    inHeading: new Set(heading),
    inTitle: new Set(title),
  });
  const stats = (documentFrequency: Record<string, number>, chunks = 100) => ({ chunks, meanLength: 100, documentFrequency: new Map(Object.entries(documentFrequency)) });

  it('ranks a rare term above a common one, which ts_rank cannot', () => {
    const ranked = bm25([aMatch('common', { file: 3 }), aMatch('rare', { zpipe: 1 })], stats({ file: 80, zpipe: 2 }));
    expect(ranked.map((r) => r.id)).toEqual(['rare', 'common']);
  });

  it('saturates repeated terms and prefers the shorter of two equal matches', () => {
    const [once, many] = bm25([aMatch('once', { seal: 1 }), aMatch('many', { seal: 20 })], stats({ seal: 10 })).sort((a, b) => (a.id < b.id ? 1 : -1));
    // Twenty occurrences never count for more than k1 + 1 single ones.
    expect(many.score / once.score).toBeLessThan(BM25_DEFAULTS.k1 + 1);
    expect(many.score / once.score).toBeGreaterThan(1);
    const ranked = bm25([aMatch('long', { seal: 1 }, { length: 400 }), aMatch('short', { seal: 1 }, { length: 50 })], stats({ seal: 10 }));
    expect(ranked.map((r) => r.id)).toEqual(['short', 'long']);
  });

  it('credits terms in the heading and in the title or file name', () => {
    const ranked = bm25(
      [aMatch('body', { backup: 1, kept: 1 }), aMatch('heading', { backup: 1, kept: 1 }, { heading: ['backup'] }), aMatch('title', { backup: 1, kept: 1 }, { heading: ['backup'], title: ['kept'] })],
      stats({ backup: 10, kept: 10 }),
    );
    expect(ranked.map((r) => r.id)).toEqual(['title', 'heading', 'body']);
  });
});

describe('identifierParts', () => {
  it('splits dotted, camelCase and path-like identifiers, and leaves plain words alone', () => {
    expect(identifierParts('use fs.readFile() now.')).toBe('fs read File');
    expect(identifierParts('HTTPServer parseXMLDocument')).toBe('HTTP Server parse XML Document');
    expect(identifierParts('backup.tar.gz, e.g. version 1.2.3')).toBe('backup tar gz');
    expect(identifierParts('snake_case and iconv-lite are split by the parser already')).toBe('');
    expect(identifierParts('An ordinary sentence. Another one')).toBe('');
  });

  it('gives what its definition by regular expressions gives, on ASCII and other texts', () => {
    // The definition: every run of word characters joined by `.:/_-`, kept when it has `.:/` or a step in case.
    const defined = (text: string) => {
      const parts: string[] = [];
      for (const [token] of text.matchAll(/[\p{L}\p{N}_$]+(?:[.:/_-]+[\p{L}\p{N}_$]+)*/gu)) {
        if (!/[.:/]/.test(token) && !/\p{Ll}\p{Lu}|\p{Lu}\p{Lu}\p{Ll}/u.test(token)) continue;
        for (const piece of token.split(/[^\p{L}\p{N}]+/u)) {
          const camel = /\p{Ll}\p{Lu}|\p{Lu}\p{Lu}\p{Ll}/u.test(piece)
            ? piece.replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, '$1 $2').replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
            : piece;
          for (const part of camel.split(' ')) if (part.length > 1 && /\p{L}/u.test(part)) parts.push(part);
        }
      }
      return parts.join(' ');
    };
    let state = 5;
    const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
    for (const alphabet of ['aZb.:/_-$ xY9\n,()Ab', 'aZ.:/-_ éÉ日1']) {
      for (let k = 0; k < 20_000; k++) {
        const text = Array.from({ length: 1 + Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
        if (identifierParts(text) !== defined(text)) expect([text, identifierParts(text)]).toEqual([text, defined(text)]);
      }
    }
    const readme = readFileSync(path.join(__dirname, '../../../../README.md'), 'utf8');
    expect(identifierParts(readme)).toBe(defined(readme));
  });
});

describe('search', () => {
  let h: Harness;
  let kbId: string;
  let otherKbId: string;
  const ids: Record<string, string> = {};

  async function upload(kb: string, filename: string, content: Buffer | string, metadata?: object) {
    const req = h.as('user').post(`/api/ingestion/knowledge-bases/${kb}/documents`);
    if (metadata) req.field('metadata', JSON.stringify(metadata));
    const res = await req.attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), { filename }).expect(201);
    const doc = await h.waitForDocument(res.body.documents[0].id);
    expect(doc.status).toBe('ready');
    return doc.id;
  }

  const search = (body: object) => h.as('user').post('/api/ingestion/search').send(body);

  beforeAll(async () => {
    h = await startHarness();
    kbId = (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'Company' }).expect(201)).body.id;
    otherKbId = (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'Other' }).expect(201)).body.id;
    ids.pdf = await upload(
      kbId,
      'pump.pdf',
      aPdf({
        title: 'Pump manual',
        pages: [
          [{ text: 'Installation', size: 20 }, ...prose({ paragraphs: 3, seed: 3 })],
          [{ text: 'Maintenance', size: 20 }, 'Replace the impeller seals every 2000 operating hours.', 'Use only genuine spare parts.'],
        ],
      }),
      { team: 'plant' },
    );
    ids.docx = await upload(
      kbId,
      'onboarding.docx',
      aDocx({ title: 'Onboarding', paragraphs: [{ heading: 1, text: 'Equipment' }, 'Laptops are handed out by the IT desk on Tuesdays.', { heading: 1, text: 'Badges' }, 'Reception prints badges.'] }),
      { team: 'hr' },
    );
    ids.html = await upload(
      kbId,
      'travel.html',
      '<html><head><title>Travel policy</title></head><body><h1>Travel policy</h1><h2>Hotels</h2><p>The nightly hotel cap is 180 euros, booked through the portal.</p><h2>Trains</h2><p>First class is allowed for journeys over four hours.</p></body></html>',
      { team: 'hr' },
    );
    ids.md = await upload(kbId, 'ops.md', `# Operations\n\n## Backups\n\nNightly database backups run at 02:00 and are kept for 35 days.\n\n## Noise\n\n${prose({ paragraphs: 6, seed: 9 }).join('\n\n')}\n`);
    ids.other = await upload(otherKbId, 'other.txt', 'Backups of the other team are kept for 7 days only.');
  });
  afterAll(() => h.close());

  it.each([
    ['How often should the impeller seals be replaced?', 'pdf', { page: 2, heading: 'Maintenance' }],
    ['When does IT hand out laptops?', 'docx', { page: null, heading: 'Equipment' }],
    ['What is the maximum hotel price per night?', 'html', { page: null, heading: 'Hotels' }],
    ['how long are database backups kept', 'md', { page: null, heading: 'Backups' }],
  ])('answers "%s" from the %s with a correct citation in its first two hits', async (query, source, where) => {
    const res = await search({ query, knowledgeBaseIds: [kbId], topK: 5 }).expect(200);
    const hits: Hit[] = res.body.results;
    const index = hits.findIndex((hit) => hit.citation.documentId === ids[source]);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThanOrEqual(1);
    const hit = hits[index];
    expect(hit.citation).toMatchObject({ ...where, documentId: ids[source], score: hit.score });
    const doc = (await h.as('user').get(`/api/ingestion/documents/${ids[source]}/chunks`).expect(200)).body.data.find((c: { id: string }) => c.id === hit.chunkId);
    expect([hit.citation.startOffset, hit.citation.endOffset]).toEqual([doc.start, doc.end]);
  });

  it('runs each half alone, and hybrid ranks what both halves agree on', async () => {
    const body = { query: 'impeller seals replacement hours', knowledgeBaseIds: [kbId], topK: 3 };
    const vector = (await search({ ...body, mode: 'vector' }).expect(200)).body;
    const fulltext = (await search({ ...body, mode: 'fulltext' }).expect(200)).body;
    const hybrid = (await search({ ...body, mode: 'hybrid' }).expect(200)).body;
    expect(vector.results[0].ranks).toEqual({ vector: 1, fulltext: null });
    expect(fulltext.results[0].ranks).toEqual({ vector: null, fulltext: 1 });
    expect(vector.results[0].score).toBeLessThanOrEqual(1);
    expect(hybrid.results[0].citation.documentId).toBe(ids.pdf);
    expect(hybrid.results[0].ranks.vector).not.toBeNull();
    expect(hybrid.results[0].ranks.fulltext).not.toBeNull();
    expect(hybrid.fusion).toEqual({ method: 'scores', vectorWeight: EMBEDDER_FUSION_WEIGHTS[HASHING_EMBEDDER].vector, fulltextWeight: 1, k: 60 });
    // The best hit of both halves scores the sum of the weights' shares: 1.
    if (hybrid.results[0].ranks.vector === 1 && hybrid.results[0].ranks.fulltext === 1) expect(hybrid.results[0].score).toBeCloseTo(1, 5);
    expect(hybrid.results[0].score).toBeLessThanOrEqual(1);
    const rrf = (await search({ ...body, fusion: { method: 'rrf' } }).expect(200)).body;
    const { vectorWeight, fulltextWeight, k } = rrf.fusion;
    expect(rrf.fusion.method).toBe('rrf');
    expect(rrf.results[0].score).toBeCloseTo(vectorWeight / (k + rrf.results[0].ranks.vector) + fulltextWeight / (k + rrf.results[0].ranks.fulltext), 5);
    expect(hybrid.results[0].scores.vector).toBeCloseTo(vector.results.find((r: Hit) => r.chunkId === hybrid.results[0].chunkId).score, 5);
    expect(hybrid.results[0].scores.fulltext).toBeGreaterThan(0);
    expect(fulltext.results[0].scores).toEqual({ vector: null, fulltext: fulltext.results[0].score });
    expect(vector.fusion).toBeNull();
  });

  it('takes fusion weights from the request', async () => {
    const body = { query: 'impeller seals replacement hours', knowledgeBaseIds: [kbId], topK: 3 };
    const lexical = (await search({ ...body, fusion: { method: 'rrf', vectorWeight: 0, fulltextWeight: 1, k: 10 } }).expect(200)).body;
    const fulltext = (await search({ ...body, mode: 'fulltext' }).expect(200)).body;
    expect(lexical.fusion).toEqual({ method: 'rrf', vectorWeight: 0, fulltextWeight: 1, k: 10 });
    const byScores = (await search({ ...body, fusion: { vectorWeight: 0, fulltextWeight: 2 } }).expect(200)).body;
    expect(byScores.results.map((r: Hit) => r.chunkId)).toEqual(fulltext.results.map((r: Hit) => r.chunkId));
    expect(byScores.results[0].score).toBeCloseTo(1, 5);
    expect(byScores.results[1].score).toBeCloseTo(fulltext.results[1].score / fulltext.results[0].score, 5);
    expect(lexical.results.map((r: Hit) => r.chunkId)).toEqual(fulltext.results.map((r: Hit) => r.chunkId));
    expect(lexical.results[0].score).toBeCloseTo(1 / 11, 5);
    const bad = await search({ ...body, fusion: { vectorWeight: -1 } }).expect(400);
    expect(bad.body.error.message).toMatch(/body\.fusion\.vectorWeight/);
  });

  it('searches only the knowledge bases named, and several at once', async () => {
    const one = (await search({ query: 'backups kept days', knowledgeBaseIds: [otherKbId] }).expect(200)).body.results;
    expect(one.map((r: Hit) => r.citation.documentId)).toEqual([ids.other]);
    const both = (await search({ query: 'backups kept days', knowledgeBaseIds: [kbId, otherKbId], topK: 10 }).expect(200)).body.results;
    expect(both.map((r: Hit) => r.citation.documentId)).toEqual(expect.arrayContaining([ids.md, ids.other]));
  });

  it('filters by document, type and metadata', async () => {
    const query = { query: 'policy laptops hotel seals', knowledgeBaseIds: [kbId], topK: 10 };
    const byMeta = (await search({ ...query, filters: { metadata: { team: 'hr' } } }).expect(200)).body.results as Hit[];
    expect(byMeta.length).toBeGreaterThan(0);
    expect(new Set(byMeta.map((r) => r.citation.documentId))).toEqual(new Set([ids.docx, ids.html]));
    const byType = (await search({ ...query, filters: { types: ['pdf'] } }).expect(200)).body.results as Hit[];
    expect(new Set(byType.map((r) => r.citation.documentId))).toEqual(new Set([ids.pdf]));
    const byDoc = (await search({ ...query, mode: 'vector', filters: { documentIds: [ids.html] } }).expect(200)).body.results as Hit[];
    expect(new Set(byDoc.map((r) => r.citation.documentId))).toEqual(new Set([ids.html]));
  });

  it('never returns a vector whose chunk does not exist', async () => {
    const kb = (await h.as('user').get(`/api/ingestion/knowledge-bases/${kbId}`).expect(200)).body;
    const [target] = (await search({ query: 'impeller seals', knowledgeBaseIds: [kbId], mode: 'vector', topK: 1 }).expect(200)).body.results as Hit[];
    const { rows } = await h.db.query<{ embedding: string }>(`select embedding::text from ingestion.vectors_${kb.vectorCollection} where id = $1`, [target.chunkId]);
    await h.vectors.upsert(kb.vectorCollection, [{ id: 'chk_orphan', documentId: 'doc_orphan', vector: JSON.parse(rows[0].embedding) }]);
    const results = (await search({ query: 'impeller seals', knowledgeBaseIds: [kbId], mode: 'vector', topK: 5 }).expect(200)).body.results as Hit[];
    expect(results.map((r) => r.chunkId)).not.toContain('chk_orphan');
    expect(results[0].chunkId).toBe(target.chunkId);
  });

  it('explains bad requests and unknown knowledge bases', async () => {
    const bad = await search({ query: '', knowledgeBaseIds: [], mode: 'semantic' }).expect(400);
    expect(bad.body.error.message).toMatch(/body\.query: must not be empty/);
    expect(bad.body.error.message).toMatch(/body\.knowledgeBaseIds: name at least one knowledge base/);
    expect(bad.body.error.message).toMatch(/body\.mode/);
    const missing = await search({ query: 'x', knowledgeBaseIds: ['kb_nope'] }).expect(404);
    expect(missing.body.error).toMatchObject({ code: 'knowledge_base_not_found', message: 'knowledge base kb_nope does not exist' });
    // Knowledge bases are checked at once, and the first one named that fails is the one reported.
    const several = await search({ query: 'x', knowledgeBaseIds: [kbId, 'kb_second', 'kb_third'] }).expect(404);
    expect(several.body.error.message).toBe('knowledge base kb_second does not exist');
  });

  it("answers 404 for another user's private knowledge base exactly as for one that does not exist, and searches it for a manager", async () => {
    const stranger = (body: object) => h.as('user', 'usr_stranger').post('/api/ingestion/search').send(body);
    const hidden = await stranger({ query: 'backups kept days', knowledgeBaseIds: [otherKbId] }).expect(404);
    expect(hidden.body.error).toEqual({ code: 'knowledge_base_not_found', message: `knowledge base ${otherKbId} does not exist` });
    // Naming a readable one beside it does not let the hidden one through.
    const own = (await h.as('user', 'usr_stranger').post('/api/ingestion/knowledge-bases').send({ name: 'Stranger' }).expect(201)).body.id;
    await stranger({ query: 'backups', knowledgeBaseIds: [own, otherKbId] }).expect(404);
    expect((await stranger({ query: 'backups', knowledgeBaseIds: [own] }).expect(200)).body.results).toEqual([]);
    const managed = (await h.as('manager').post('/api/ingestion/search').send({ query: 'backups kept days', knowledgeBaseIds: [otherKbId] }).expect(200)).body.results;
    expect(managed.map((r: Hit) => r.citation.documentId)).toEqual([ids.other]);
  });

  it('finds identifiers by their parts as well as whole, and by parts named in the question', async () => {
    const codeKb = (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'Code' }).expect(201)).body.id;
    const api = await upload(codeKb, 'api.md', '# Files\n\nCall fs.readFile with a path; it rejects when the file is missing.\n\n# Requests\n\nSet defParamCharset before parsing.\n');
    await upload(codeKb, 'noise.md', `# Notes\n\n${prose({ paragraphs: 3, seed: 5 }).join('\n\n')}\n`);
    for (const query of ['fs.readFile', 'readFile', 'how do I read a file', 'which charset does it assume', 'defParamCharset', 'the param charset default']) {
      const hits: Hit[] = (await search({ query, knowledgeBaseIds: [codeKb], mode: 'fulltext' }).expect(200)).body.results;
      expect({ query, first: hits[0]?.citation.documentId }).toEqual({ query, first: api });
    }
  });

  it('still answers with the vector half when the query has only stop words', async () => {
    const res = await search({ query: 'the of and', knowledgeBaseIds: [kbId] }).expect(200);
    expect(res.body.results.every((r: Hit) => r.ranks.fulltext === null)).toBe(true);
  });
});

describe('search when the embedder stops answering', () => {
  let h: Harness;
  let server: Server;
  let up = true;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (part) => (body += part));
      req.on('end', () => {
        if (!up) return res.writeHead(400).end('{"error":{"message":"model unloaded"}}');
        const input: string[] = JSON.parse(body).input;
        const data = input.map((text, index) => ({ index, embedding: Array.from({ length: 8 }, (_, d) => ((text.length * (d + 1)) % 7) + 1) }));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    h = await startHarness({ embedders: createEmbedderCatalog({ openAi: { baseUrl, model: 'tiny', dimension: 8, maxRetries: 0 }, defaultSpec: { name: 'openai:tiny', dimension: 8 } }) });
  });
  afterAll(async () => {
    await h.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers 503 for a search by meaning and still answers in full text', async () => {
    const kbId = (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: 'Remote' }).expect(201)).body.id;
    const res = await h.as('user').post(`/api/ingestion/knowledge-bases/${kbId}/documents`).attach('file', Buffer.from('Nightly backups are kept for 35 days.'), { filename: 'ops.txt' }).expect(201);
    expect((await h.waitForDocument(res.body.documents[0].id)).status).toBe('ready');
    up = false;
    const body = { query: 'how long are backups kept', knowledgeBaseIds: [kbId] };
    for (const mode of ['hybrid', 'vector']) {
      const down = await h.as('user').post('/api/ingestion/search').send({ ...body, mode }).expect(503);
      expect(down.body.error).toMatchObject({ code: 'embedder_unavailable', message: expect.stringMatching(/mode "fulltext" still works/) });
    }
    const fulltext = await h.as('user').post('/api/ingestion/search').send({ ...body, mode: 'fulltext' }).expect(200);
    expect(fulltext.body.results.map((r: Hit) => r.text)).toEqual(['Nightly backups are kept for 35 days.']);
  });
});
