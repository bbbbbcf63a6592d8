import type { Logger } from '@llmp/core';
import type { Db } from '@llmp/db';

/**
 * Turns texts into the lexemes full-text search indexes (a `tsvector`'s text
 * form), so that the database which stores the chunks only reads them.
 */
export interface Lexer {
  /**
   * One `tsvector` text per text, in order; undefined for a text (or for
   * all) that it leaves to the storing database.
   */
  lexemes(texts: string[]): Promise<(string | undefined)[] | undefined>;
  close(): Promise<void>;
}

/** Texts per statement: keeps each one's parameters to a few megabytes. */
const BATCH = 500;

/**
 * Postgres's own `english` configuration, run by `db`: an engine of its own
 * (the embedded platform gives it an in-memory PGlite on another thread), so
 * the lexemes come out as the storing database would make them while that
 * database spends its time on writes. Only for a storing database of the
 * same build, whose parser and dictionaries are the same: on PGlite, parsing
 * and stemming are most of what writing a chunk costs (a tsvector's text is
 * read some three times faster than it is computed); a Postgres server
 * computes them natively and needs no lexer.
 */
export function createDbLexer(db: Db): Lexer {
  return {
    async lexemes(texts) {
      const out: (string | undefined)[] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const { rows } = await db.query<{ lexemes: string }>(
          `select to_tsvector('english', t)::text as lexemes from unnest($1::text[]) with ordinality as u(t, n) order by n`,
          [texts.slice(i, i + BATCH)],
        );
        for (const row of rows) out.push(row.lexemes);
      }
      return out;
    },
    close: () => db.close(),
  };
}

export interface StandbyLexerOptions {
  /** Opens the engine the lexemes are computed in. */
  open: () => Promise<Db>;
  /** Closed after this long without work (default 60 000), as an engine holds hundreds of megabytes. */
  idleMs?: number;
  /**
   * Characters of one call that make it worth starting the engine (default
   * 262,144): smaller documents cost the database milliseconds, and use the
   * engine only while it runs anyway.
   */
  startAtChars?: number;
  log: Logger;
}

export interface StandbyLexer extends Lexer {
  /** Starts the engine and resolves once it computes lexemes. */
  warm(): Promise<void>;
}

/**
 * A `createDbLexer` whose engine exists only while documents are indexed:
 * the first large enough call starts it (seconds) and declines, as do calls
 * while it starts, so no document waits for it; it is closed again after
 * `idleMs` without work.
 */
export function createStandbyLexer({ open, idleMs = 60_000, startAtChars = 262_144, log }: StandbyLexerOptions): StandbyLexer {
  let engine: { db: Db; lexer: Lexer } | undefined;
  let starting: Promise<void> | undefined;
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  let closed = false;

  const start = () =>
    (starting ??= open().then(
      async (db) => {
        if (closed) return db.close();
        engine = { db, lexer: createDbLexer(db) };
        log.info('lexer engine started');
      },
      (error: unknown) => log.warn({ err: error }, 'lexer engine did not start; the database computes lexemes'),
    ).finally(() => {
      starting = undefined;
      settle();
    }));

  /** Schedules the engine's close once nothing uses it. */
  function settle() {
    clearTimeout(idle);
    if (!engine || active > 0 || closed) return;
    idle = setTimeout(() => {
      const stopping = engine;
      engine = undefined;
      if (stopping) void stopping.db.close().then(() => log.info('lexer engine closed after idling'), () => undefined);
    }, idleMs);
    idle.unref();
  }

  return {
    async lexemes(texts) {
      if (closed) return undefined;
      if (!engine) {
        let chars = 0;
        for (const text of texts) chars += text.length;
        if (chars >= startAtChars) void start();
        return undefined;
      }
      clearTimeout(idle);
      active++;
      try {
        return await engine.lexer.lexemes(texts);
      } finally {
        active--;
        settle();
      }
    },
    async warm() {
      if (!engine) await start();
    },
    async close() {
      closed = true;
      clearTimeout(idle);
      await starting;
      const stopping = engine;
      engine = undefined;
      await stopping?.db.close();
    },
  };
}
