import { createPgliteDb, type Db } from '@llmp/db';
import { createSqlChunkStore, searchableText } from '../documents/chunk.store';
import { startHarness, testLog, type Harness } from '../testing/ingestion-harness';
import { lexemesInDatabase } from '../testing/lexemes';
import { prose } from '../testing/text-generator';
import { createDbLexer, createStandbyLexer, type Lexer } from './lexer';

/** Texts that take the parser down its less travelled roads. */
const AWKWARD = [
  '',
  '   ',
  'The runners were running; the runner ran.',
  'parseHttpRequest() calls read_config_file and MAX_RETRY_COUNT',
  'Visit https://example.com/a/b?c=d or mail someone@example.org today',
  'well-known state-of-the-art co-operation',
  'Prices: 3.14, 1e10, -42, 0x1F, 12:30, 2026-12-03',
  'Café naïve façade — crème brûlée; 日本語のテキスト; Ελληνικά; русский текст',
  "it's O'Reilly's <b>bold</b> & 'quoted' \"text\" \\ backslash",
  'emoji 🙂 and symbols ∑ ∞ ≠',
  'a'.repeat(3000),
];

describe('lexer', () => {
  let db: Db;
  let engine: Db;
  beforeAll(async () => {
    [db, engine] = await Promise.all([createPgliteDb(), createPgliteDb()]);
  });
  afterAll(async () => {
    await Promise.all([db.close(), engine.close()]);
  });

  it('makes the lexemes the storing database would make, in order, over more texts than one statement takes', async () => {
    const texts = [...AWKWARD, ...prose({ paragraphs: 1200, seed: 3 })];
    const lexemes = await createDbLexer(engine).lexemes(texts);
    expect(lexemes).toHaveLength(texts.length);
    expect(lexemes).toEqual(await lexemesInDatabase(db, texts));
    expect(lexemes?.[2]).toBe("'ran':7 'run':4 'runner':2,6");
  });
});

describe('standby lexer', () => {
  /** Opens in-process engines, counting them and closing them with the test. */
  function engines(fail = false) {
    const opened: Db[] = [];
    return {
      opened,
      open: async () => {
        if (fail) throw new Error('no memory for another engine');
        const db = await createPgliteDb();
        opened.push(db);
        return db;
      },
      closeAll: () => Promise.all(opened.map((db) => db.close().catch(() => undefined))),
    };
  }

  it('declines while its engine starts, computes once it runs, and closes the engine after idling', async () => {
    const e = engines();
    const lexer = createStandbyLexer({ open: e.open, idleMs: 1000, startAtChars: 20, log: testLog });
    try {
      // Too little work to start an engine for.
      expect(await lexer.lexemes(['running', 'dogs'])).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(e.opened).toHaveLength(0);
      expect(await lexer.lexemes(['running dogs', 'running cats'])).toBeUndefined();
      await lexer.warm();
      expect(e.opened).toHaveLength(1);
      expect(await lexer.lexemes(['running', 'dogs'])).toEqual(["'run':1", "'dog':1"]);
      // Work keeps it open; idling closes it, and the next call starts another.
      // Once it runs, small calls use it too; each keeps it open.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await lexer.lexemes(['cats'])).toEqual(["'cat':1"]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await lexer.lexemes(['cats'])).toEqual(["'cat':1"]);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      await expect(e.opened[0].query('select 1')).rejects.toThrow();
      expect(await lexer.lexemes(['birds'])).toBeUndefined();
      expect(await lexer.lexemes(['birds and more birds'])).toBeUndefined();
      await lexer.warm();
      expect(e.opened).toHaveLength(2);
      expect(await lexer.lexemes(['birds'])).toEqual(["'bird':1"]);
    } finally {
      await lexer.close();
      await e.closeAll();
    }
    expect(await lexer.lexemes(['after'])).toBeUndefined();
  });

  it('declines every call when its engine cannot start', async () => {
    const e = engines(true);
    const lexer = createStandbyLexer({ open: e.open, startAtChars: 1, log: testLog });
    expect(await lexer.lexemes(['a'])).toBeUndefined();
    await lexer.warm();
    expect(await lexer.lexemes(['a'])).toBeUndefined();
    await lexer.warm();
    expect(e.opened).toHaveLength(0);
    await lexer.close();
  });
});

describe('pipeline with a lexer', () => {
  /** A lexer over its own engine that counts the texts it was given, fails every call, or adds a word of its own to each. */
  function counting(engine: Db, { fail = false, mark = '' } = {}): Lexer & { texts: number } {
    const inner = createDbLexer(engine);
    const lexer = {
      texts: 0,
      async lexemes(texts: string[]) {
        if (fail) throw new Error('the lexer engine died');
        lexer.texts += texts.length;
        return inner.lexemes(texts.map((t) => t + mark));
      },
      close: async () => undefined,
    };
    return lexer;
  }

  const MARKDOWN = `# Setup guide\n\n${prose({ paragraphs: 12, seed: 5 }).join('\n\n')}\n\n## Calling parseHttpRequest()\n\n${prose({ paragraphs: 12, seed: 6 }).join('\n\n')}`;

  async function ingest(h: Harness): Promise<{ id: string; same: boolean[] }> {
    const kb = (await h.as('user').post('/api/ingestion/knowledge-bases').send({ name: `kb ${Math.random()}` }).expect(201)).body.id as string;
    const res = await h.as('user').post(`/api/ingestion/knowledge-bases/${kb}/documents`).attach('file', Buffer.from(MARKDOWN), { filename: 'guide.md' }).expect(201);
    const id = res.body.documents[0].id as string;
    expect(await h.waitForDocument(id)).toMatchObject({ status: 'ready' });
    const stored = await createSqlChunkStore(h.db).listByDocument(id, { limit: 1000 });
    const { rows } = await h.db.query<{ same: boolean }>(
      `select c.tsv = to_tsvector('english', s.t) as same
         from unnest($1::text[], $2::text[]) as s(id, t) join ingestion.chunks c on c.id = s.id order by c.ordinal`,
      [stored.map((c) => c.id), stored.map(searchableText)],
    );
    return { id, same: rows.map((r) => r.same) };
  }

  let engine: Db;
  beforeAll(async () => {
    engine = await createPgliteDb();
  });
  afterAll(() => engine.close());

  it('indexes chunks with the lexer’s lexemes, the same the database would compute', async () => {
    const lexer = counting(engine);
    const h = await startHarness({ lexer });
    try {
      const { same } = await ingest(h);
      expect(same.length).toBeGreaterThan(1);
      expect(same.every(Boolean)).toBe(true);
      expect(lexer.texts).toBe(same.length);
      const { rows } = await h.db.query<{ id: string }>(
        `select id from ingestion.chunks where tsv @@ websearch_to_tsquery('english', 'parse http request')`,
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });

  it('stores what the lexer computed, not lexemes of its own', async () => {
    const h = await startHarness({ lexer: counting(engine, { mark: ' zanzibarish' }) });
    try {
      const { id, same } = await ingest(h);
      expect(same.every((s) => !s)).toBe(true);
      const { rows } = await h.db.query<{ n: number }>(
        `select count(*)::int as n from ingestion.chunks where document_id = $1 and tsv @@ to_tsquery('english', 'zanzibarish')`,
        [id],
      );
      expect(rows[0].n).toBe(same.length);
    } finally {
      await h.close();
    }
  });

  it('indexes the document all the same when the lexer fails', async () => {
    const h = await startHarness({ lexer: counting(engine, { fail: true }) });
    try {
      const { same } = await ingest(h);
      expect(same.length).toBeGreaterThan(1);
      expect(same.every(Boolean)).toBe(true);
    } finally {
      await h.close();
    }
  });
});
