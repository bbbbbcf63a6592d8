import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@llmp/core';
import { createPgDb, createPgliteDb, type Db } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import { testLog } from '../testing/ingestion-harness';
import { lexemesInDatabase } from '../testing/lexemes';
import { prose } from '../testing/text-generator';
import { createEnglishLexer } from './english-lexer';
import { englishWords, FIELD } from './english-words';
import type { Lexer } from './lexer';

/** Texts the parser splits in more ways than words and spaces. */
const AWKWARD = [
  '',
  '   \n\t ',
  'The runners were running; the runner ran.',
  "it's O'Reilly's 'quoted' \"text\" (parens) [brackets] {braces} end... dash - and -- rules",
  'well-known state-of-the-art co-operation -leading trailing- a--b Well-Known WELL',
  'x-ray2 1st-rate 2-3 a-2 2-a x-1 +5 -42 1,000 3. 3.14 1e10 522e4c2 0x1F 12:30 2026-12-03 10th',
  'e.g. the U.S. is Z._run etc.. a.-b ~home a~b',
  'Visit https://example.com/a/b?c=d or mail someone@example.org, see /usr/bin and a/b today',
  'AT&T R&D &amp; &#38; a & b 3 < 4 > 2',
  'Café naïve façade — crème brûlée; 日本語のテキスト; Ελληνικά; русский текст; emoji 🙂 ∑ ∞ ≠ 𝒜lpha ﬁne ￼ �',
  'it’s “typographic” ‘quotes’ — dashes – ellipses… • bullets «guillemets» no\u00a0break 5′ 6″',
  'parseHttpRequest() calls read_config_file and MAX_RETRY_COUNT; __init__ _private trailing_',
  'the a an of and to in is it this that',
];

/** Texts with tags across whitespace, scripts, control characters or overlong words. */
const DECLINED = ['<script>let x = 1</script> text', '<a href="x y">link</a>', 'bell\u0007 character', `${'a'.repeat(300)} word`];

/** Pieces of real documents, as chunks of about 2,000 characters: the benchmark corpus, this repository's README, and pino's manual. */
function realDocuments(): string[] {
  const corpus = path.resolve(__dirname, '../../../../tools/scripts/bench/retrieval-corpus/documents');
  const pino = path.join(path.dirname(require.resolve('pino/package.json')), 'docs');
  const files = [
    ...readdirSync(corpus).filter((f) => /\.(md|html)$/.test(f)).map((f) => path.join(corpus, f)),
    path.resolve(__dirname, '../../../../README.md'),
    ...readdirSync(pino).filter((f) => f.endsWith('.md')).map((f) => path.join(pino, f)),
  ];
  const pieces: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (let i = 0; i < text.length; i += 2000) pieces.push(text.slice(i, i + 2000));
  }
  return pieces;
}

/** Short strings of the characters the parser treats specially, next to words, numbers and each other. */
function awkwardStrings(count: number, seed: number): string[] {
  const alphabet = [
    ...'abexAZs109 \n.-+&<>_:;,!?\'"()#%=*$\\|^`[]{}/@~\t',
    ...'\u00a0\u00e9\u00ab\u00b7\u00bb\u2010\u2011\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u2032',
    ' ', ' ', 'the', 'is', 'run', 'running', 'http://', 'www', '.com', 'amp', 'café', '日本', '🙂', 'e5', '1e',
  ];
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  return Array.from({ length: count }, () => {
    let text = '';
    for (let n = 1 + Math.floor(random() * 16); n > 0; n--) text += alphabet[Math.floor(random() * alphabet.length)];
    return text;
  });
}

/** A database that records the words it is asked to stem and the runs it is asked to parse. */
function watched(db: Db) {
  const stemmed: string[] = [];
  const parsed: string[] = [];
  const watching: Db = Object.create(db);
  watching.query = ((sql: string, params?: unknown[]) => {
    if (sql.includes('ts_parse')) parsed.push(...(params![0] as string[]));
    else if (sql.includes('ts_lexize')) stemmed.push(...(params![0] as string[]));
    return db.query(sql, params);
  }) as Db['query'];
  return { db: watching, stemmed, parsed };
}

describe.each(testDatabases())('english lexer on $name', (database) => {
  let db: Db;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await database.open());
  });
  afterAll(() => close());

  /** The lexer's lexemes beside the database's: equal for each text it splits, undefined for those it leaves. */
  async function compare(texts: string[], lexer: Lexer = createEnglishLexer({ db }), on: Db = db) {
    const ours = (await lexer.lexemes(texts))!;
    const theirs = await lexemesInDatabase(on, texts);
    expect(ours).toHaveLength(texts.length);
    const wrong = texts.flatMap((text, i) => (ours[i] !== undefined && ours[i] !== theirs[i] ? [{ text, ours: ours[i], theirs: theirs[i] }] : []));
    expect(wrong).toEqual([]);
    return { split: ours.filter((l) => l !== undefined).length, left: texts.filter((_, i) => ours[i] === undefined) };
  }

  it('makes the lexemes the database makes, to the byte, for words, numbers, hyphenated words and what only the parser reads', async () => {
    const texts = [...AWKWARD, ...prose({ paragraphs: 300, seed: 9 })];
    const { split, left } = await compare(texts);
    expect(left).toEqual([]);
    expect(split).toBe(texts.length);
    // Stop words take positions without lexemes; a hyphenated word comes whole, then its parts.
    expect((await createEnglishLexer({ db }).lexemes(['the well-known runners were running']))?.[0]).toBe("'known':4 'run':7 'runner':5 'well':3 'well-known':2");
  });

  it('leaves the database texts with tags across whitespace, scripts, control characters or overlong words', async () => {
    const { split, left } = await compare([...DECLINED, 'plain words']);
    expect(left).toEqual(DECLINED);
    expect(split).toBe(1);
  });

  it('makes the database’s lexemes for real documents, splitting most pieces itself', async () => {
    const texts = realDocuments();
    expect(texts.length).toBeGreaterThan(200);
    const { split, left } = await compare(texts);
    // Only pieces with HTML tags are left whole (those with one across whitespace, or a script or style): most of the HTML pages, some of the Markdown.
    expect(left.filter((text) => !/<[a-z!/]/i.test(text))).toEqual([]);
    expect(split / texts.length).toBeGreaterThan(0.35);
  });

  it('makes the database’s lexemes for random strings of awkward characters', async () => {
    const texts = awkwardStrings(4000, 17);
    const { split } = await compare(texts);
    expect(split / texts.length).toBeGreaterThan(0.8);
  });

  it('asks the database about each distinct word or run once, then remembers it', async () => {
    const { db: watching, stemmed, parsed } = watched(db);
    const lexer = createEnglishLexer({ db: watching });
    const texts = prose({ paragraphs: 200, seed: 4 });
    await compare(texts, lexer);
    expect(new Set(stemmed).size).toBe(stemmed.length);
    expect(stemmed.length).toBeLessThan(texts.join(' ').split(/\s+/).length / 10);
    stemmed.length = 0;
    parsed.length = 0;
    await compare([...texts].reverse(), lexer);
    expect(stemmed).toEqual([]);
    // Runs the parser reads are remembered with the context they came in: `~` begins a path only at the start of a text.
    const runs = ['see https://example.com/x', 'https://example.com/x first', '~alice after', 'then ~alice'];
    await compare(runs, lexer);
    expect(parsed.sort()).toEqual([' https://example.com/x', ' ~alice', 'https://example.com/x', '~alice']);
    parsed.length = 0;
    await compare(runs, lexer);
    expect(parsed).toEqual([]);
  });

  it('leaves every text to the database when its english configuration is not the one it splits for', async () => {
    const other = await createPgliteDb();
    try {
      await other.query('alter text search configuration english alter mapping for asciiword with simple');
      const warnings: string[] = [];
      const log = { ...testLog, warn: (message: string) => void warnings.push(message) } as unknown as Logger;
      const lexer = createEnglishLexer({ db: other, log });
      expect(await lexer.lexemes(['Running dogs', 'more running'])).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect((await other.query<{ l: string }>(`select to_tsvector('english', 'Running dogs')::text as l`)).rows[0].l).toBe("'dogs':2 'running':1");
    } finally {
      await other.close();
    }
  });

  (database.name === 'postgres' ? it : it.skip)('makes the database’s lexemes under the C locale, where every character beyond ASCII is a letter', async () => {
    const server = new URL((process.env['LLMP_DATABASE_URL'] ?? process.env['DATABASE_URL'])!);
    const name = `llmp_test_c_${randomBytes(4).toString('hex')}`;
    await db.exec(`create database ${name} template template0 encoding 'UTF8' locale 'C'`);
    server.pathname = `/${name}`;
    const c = createPgDb({ connectionString: server.toString(), poolSize: 1 });
    try {
      const typographic = AWKWARD.filter((text) => [...text].some((ch) => ch.charCodeAt(0) > 127));
      await compare(typographic, createEnglishLexer({ db: c }), c);
      // The quotes are letters here, so a quoted word keeps them.
      expect((await createEnglishLexer({ db: c }).lexemes(['it’s “typographic”']))?.[0]).toBe("'it’':1 '“typographic”':2");
    } finally {
      await c.close();
      await db.exec(`drop database if exists ${name} with (force)`);
    }
  });

  it('makes the same lexemes on a thread of its own, and refuses work once closed', async () => {
    const texts = [...AWKWARD, ...realDocuments().slice(0, 60), ...prose({ paragraphs: 100, seed: 12 })];
    const lexer = createEnglishLexer({ db, thread: true });
    try {
      const [first, second] = await Promise.all([compare(texts, lexer), compare([...texts].reverse(), lexer)]);
      expect(first.split).toBe(second.split);
      expect(first.split).toBeGreaterThan(texts.length / 2);
    } finally {
      await lexer.close();
    }
    await expect(lexer.lexemes(['after'])).rejects.toThrow('the lexer is closed');
  });

  it('starts its thread again after a document too large for its heap, whose texts fail', async () => {
    const lexer = createEnglishLexer({ db, thread: true, threadHeapMb: 24 });
    try {
      expect(await lexer.lexemes(['first words'])).toEqual(["'first':1 'word':2"]);
      const huge = Array.from({ length: 100 }, (_, i) => `${prose({ paragraphs: 400, seed: i }).join(' ')}`);
      await expect(lexer.lexemes(huge)).rejects.toThrow(/the lexer thread (failed|has stopped)/);
      expect(await lexer.lexemes(['later words'])).toEqual(["'later':1 'word':2"]);
    } finally {
      await lexer.close();
    }
  });

  it('stays right when its cache fills and starts again', async () => {
    const lexer = createEnglishLexer({ db, cacheEntries: 50 });
    for (const seed of [1, 2, 3]) await compare(prose({ paragraphs: 40, seed }), lexer);
  });

  it('gives the texts it leaves to its fallback, in order', async () => {
    const given: string[][] = [];
    const fallback: Lexer = {
      async lexemes(texts) {
        given.push(texts);
        return texts.map((t) => `'fallback':${t.length}`);
      },
      close: async () => undefined,
    };
    const lexer = createEnglishLexer({ db, fallback });
    const out = await lexer.lexemes(['plain words', DECLINED[0], 'more words', DECLINED[1]]);
    expect(given).toEqual([[DECLINED[0], DECLINED[1]]]);
    expect(out).toEqual(["'plain':1 'word':2", `'fallback':${DECLINED[0].length}`, "'word':2", `'fallback':${DECLINED[1].length}`]);
  });
});

describe('englishWords', () => {
  it('splits words, numbers and hyphenated words, and keeps whole runs only the parser reads', () => {
    expect(englishWords('Well-known 10th run, e.g. see https://x.y/z.')).toEqual([
      'well-known',
      'well',
      'known',
      '10th',
      'run',
      `${FIELD} e.g.`,
      'see',
      `${FIELD} https://x.y/z.`,
    ]);
    expect(englishWords('~home')).toEqual([`${FIELD}~home`]);
    expect(englishWords('<b>bold</b> and <i>this</i>')).toEqual([`${FIELD}<b>bold</b>`, 'and', `${FIELD} <i>this</i>`]);
    expect(englishWords('<a href="#">link</a>')).toBeUndefined();
  });
});
