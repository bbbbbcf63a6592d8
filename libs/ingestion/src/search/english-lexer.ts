import { Worker } from 'node:worker_threads';
import { workerEntry, type Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import { createLexicon, FIELD, WIDE_BLANKS, type Lexemes, type PendingSplit } from './english-words';
import type { LexerThreadReply, LexerThreadRequest } from './english-lexer-thread';
import { createDbLexer, type Lexer } from './lexer';

/** Words or runs per statement. */
const BATCH = 5_000;

export interface EnglishLexerOptions {
  /** Reads fields and stems words (`ts_parse` and `ts_lexize` with `english`'s dictionaries): the storing database, so lexemes are its own. */
  db: Db;
  /** Computes the lexemes of texts this lexer leaves to the database, when it can. */
  fallback?: Lexer;
  /** Distinct words and runs kept with their lexemes (default 200,000, some 20 MB); the cache starts again when full. */
  cacheEntries?: number;
  /** Told when the database's configuration differs from what the lexer knows, which then leaves every text to it. */
  log?: Logger;
  /**
   * Splits on a thread of its own (default false), so that splitting and
   * building a document's lexemes, 80–110 ms a megabyte, do not hold up the
   * thread that serves requests and embeds chunks.
   */
  thread?: boolean;
  /** The thread's heap (default 512 MB): a document too large for it gets its lexemes from the database, and the thread starts again. */
  threadHeapMb?: number;
}

/**
 * Texts whose lexemes show whether the database's `english` configuration
 * and locale are those this lexer splits for: stop words, stems, upper case
 * (a Turkish locale lowers `I` otherwise), numbers, hyphenated words, and
 * runs the parser reads.
 */
const ASCII_PROBES = [
  'The Runners were RUNNING; It is I, INDIA, who ran quickly and happily.',
  'well-known state-of-the-art x-ray2 10th 2026 -42 +5 3.14 1e10 522e4c2 v1.2.3',
  'see https://example.com/a?b=c or mail someone@example.org at /usr/bin, ~home and e.g. U.S. AT&T &amp; <b>bold</b>',
  "it's O'Reilly's parseHttpRequest read_config_file __init__ (parens) [brackets] end... a--b",
];
/** Each boundary beyond ASCII between words. */
const WIDE_PROBE = [...WIDE_BLANKS].map((c, i) => `word${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(c)}`).join('') + 'end';

/**
 * Postgres's `english` configuration (`to_tsvector('english', …)`),
 * computed here: words are split as the default parser splits them, and
 * each distinct word is stemmed once by the database's own `english_stem`
 * dictionary and remembered, as is each distinct run the parser must read
 * (a URL, a path, a decimal, a word beyond ASCII). A text's lexemes are the
 * database's to the byte while the database stems a few thousand words
 * instead of parsing every chunk. The few texts it cannot split (tags,
 * control characters, overlong words) go to `fallback`, or are left to the
 * database (undefined in the result). Its first call checks that the
 * database's configuration and locale split and stem as it expects (a
 * Postgres server's may differ from PGlite's); where they do not, every text
 * is left to the database.
 */
export function createEnglishLexer({ db, fallback, cacheEntries = 200_000, log, thread = false, threadHeapMb = 512 }: EnglishLexerOptions): Lexer {
  const splitter = thread ? threadSplitter(cacheEntries, threadHeapMb) : localSplitter(cacheEntries);

  async function compute(texts: string[], wide: boolean): Promise<(string | undefined)[]> {
    const out = await splitter.lexemes(texts, wide, (unknown) => learn(db, unknown));
    const declined = out.flatMap((lexemes, i) => (lexemes === undefined ? [i] : []));
    if (declined.length && fallback) {
      const computed = await fallback.lexemes(declined.map((i) => texts[i]));
      if (computed) declined.forEach((i, j) => (out[i] = computed[j]));
    }
    return out;
  }

  /** Whether the lexer's lexemes are the database's, for ASCII text and for the boundaries beyond it. */
  async function check(): Promise<'all' | 'ascii' | 'none'> {
    const theirs = createDbLexer(db);
    const same = (a: (string | undefined)[], b: (string | undefined)[] | undefined) => a.every((lexemes, i) => lexemes === b?.[i]);
    if (!same(await compute(ASCII_PROBES, false), await theirs.lexemes(ASCII_PROBES))) {
      log?.warn("the database's english text-search configuration is not the one the lexer splits for; it computes every chunk's lexemes");
      return 'none';
    }
    return same(await compute([WIDE_PROBE], true), await theirs.lexemes([WIDE_PROBE])) ? 'all' : 'ascii';
  }
  let checked: Promise<'all' | 'ascii' | 'none'> | undefined;

  return {
    async lexemes(texts) {
      const reach = await (checked ??= check().catch((error: unknown) => {
        checked = undefined;
        throw error;
      }));
      if (reach === 'none') return fallback ? fallback.lexemes(texts) : undefined;
      return compute(texts, reach === 'all');
    },
    async close() {
      await splitter.close();
      await fallback?.close();
    },
  };
}

/** What the database makes of words (`english_stem`) and runs (its parser, then the configuration's dictionaries). */
async function learn(db: Db, unknown: string[]): Promise<Map<string, Lexemes>> {
  const learnt = new Map<string, Lexemes>();
  const words = unknown.filter((w) => w[0] !== FIELD);
  const fields = unknown.filter((w) => w[0] === FIELD);
  for (let i = 0; i < words.length; i += BATCH) {
    const batch = words.slice(i, i + BATCH);
    const { rows } = await db.query<{ stem: string[] | null }>(
      `select ts_lexize('english_stem', w) as stem from unnest($1::text[]) with ordinality as u(w, n) order by n`,
      [batch],
    );
    rows.forEach((row, j) => learnt.set(batch[j], row.stem?.[0] ?? ''));
  }
  for (let i = 0; i < fields.length; i += BATCH) {
    const batch = fields.slice(i, i + BATCH);
    // Tokens of a type without a dictionary (blanks, tags) take no position; stop words take one with no lexeme.
    const { rows } = await db.query<{ lexemes: string[] | null }>(
      `select array_agg(coalesce((ts_lexize(m.mapdict::regdictionary, p.token))[1], '') order by p.k) filter (where m.mapdict is not null) as lexemes
         from unnest($1::text[]) with ordinality as u(f, n)
         left join lateral ts_parse('default', u.f) with ordinality as p(tokid, token, k) on true
         left join pg_ts_config_map m on m.mapcfg = 'english'::regconfig and m.maptokentype = p.tokid
        group by u.n order by u.n`,
      [batch.map((f) => f.slice(1))],
    );
    rows.forEach((row, j) => learnt.set(batch[j], row.lexemes ?? []));
  }
  return learnt;
}

/** Splits texts and builds their lexemes, asking `learn` for what it does not know yet. */
interface Splitter {
  lexemes(texts: string[], wide: boolean, learn: (unknown: string[]) => Promise<Map<string, Lexemes>>): Promise<(string | undefined)[]>;
  close(): Promise<void>;
}

function localSplitter(entries: number): Splitter {
  const lexicon = createLexicon(entries);
  return {
    async lexemes(texts, wide, learnFor) {
      const pending: PendingSplit = lexicon.split(texts, wide);
      return pending.finish(pending.unknown.length ? await learnFor(pending.unknown) : new Map());
    },
    close: async () => undefined,
  };
}

/**
 * A lexicon on a thread of its own, started with the first texts (and again
 * after one dies: the texts it held fail, and their documents' lexemes are
 * left to the database); the database is asked from here.
 */
function threadSplitter(entries: number, heapMb: number): Splitter {
  let worker: Worker | undefined;
  let closed = false;
  let nextId = 1;
  const waiting = new Map<number, { learn: (unknown: string[]) => Promise<Map<string, Lexemes>>; resolve: (out: (string | undefined)[]) => void; reject: (error: Error) => void }>();

  function start(): Worker {
    const { filename, execArgv } = workerEntry(__dirname, 'english-lexer-thread');
    const started = new Worker(filename, { execArgv, workerData: { entries }, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    started.unref();
    const fail = (error: Error) => {
      if (worker !== started) return;
      worker = undefined;
      for (const { reject } of waiting.values()) reject(error);
      waiting.clear();
    };
    started.on('message', (reply: LexerThreadReply) => {
      const call = waiting.get(reply.id);
      if (!call) return;
      if (reply.kind === 'unknown') {
        call.learn(reply.unknown).then(
          (learnt) => started.postMessage({ kind: 'learnt', id: reply.id, learnt: [...learnt] } satisfies LexerThreadRequest),
          (error: Error) => {
            waiting.delete(reply.id);
            started.postMessage({ kind: 'drop', id: reply.id } satisfies LexerThreadRequest);
            call.reject(error);
          },
        );
      } else {
        waiting.delete(reply.id);
        call.resolve(reply.out);
      }
    });
    started.on('error', (error) => fail(new Error(`the lexer thread failed: ${error.message}`, { cause: error })));
    started.on('exit', (code) => fail(new Error(`the lexer thread has stopped (exit code ${code})`)));
    return started;
  }

  return {
    lexemes(texts, wide, learnFor) {
      if (closed) return Promise.reject(new Error('the lexer is closed'));
      const thread = (worker ??= start());
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { learn: learnFor, resolve, reject });
        thread.postMessage({ kind: 'split', id, texts, wide } satisfies LexerThreadRequest);
      });
    },
    async close() {
      closed = true;
      const stopping = worker;
      worker = undefined;
      for (const { reject } of waiting.values()) reject(new Error('the lexer is closed'));
      waiting.clear();
      await stopping?.terminate();
    },
  };
}
