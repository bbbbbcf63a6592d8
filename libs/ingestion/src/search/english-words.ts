/**
 * What Postgres's default text-search parser makes of each ASCII character
 * between words. The parser has states for URLs, e-mails, paths, hosts,
 * versions, signed and decimal numbers, tags and entities; a run between
 * whitespace that could enter one of them (`DECLINE`, or the others in the
 * context named) is read by the database, so what this lexer splits itself
 * it splits into words, numbers and hyphenated words as the parser does.
 */
const enum Kind {
  /** Whitespace and punctuation the parser always takes as a word boundary. */
  BLANK,
  LETTER,
  DIGIT,
  /** A hyphenated word's joint between words; a sign before a digit. */
  HYPHEN,
  /** A host, file or number's dot before a letter, digit or underscore. */
  DOT,
  /** A sign before a digit. */
  PLUS,
  /** An entity (`&amp;`, `&#38;`) before a letter or `#`. */
  AMPERSAND,
  DECLINE,
}

const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII[c] =
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? Kind.LETTER
    : c >= 48 && c <= 57 ? Kind.DIGIT
    : c === 45 ? Kind.HYPHEN
    : c === 46 ? Kind.DOT
    : c === 43 ? Kind.PLUS
    : c === 38 ? Kind.AMPERSAND
    : // Paths, e-mails, home directories, and control characters.
      c === 47 || c === 64 || c === 126 || c === 60 || c < 32 || c === 127 ? Kind.DECLINE
    : Kind.BLANK;
}

/**
 * Characters beyond ASCII that are neither letters, digits nor marks, so the
 * parser takes them as boundaries: typographic quotes, dashes, ellipses,
 * bullets, guillemets and the no-break space prose is full of. That depends
 * on the database's locale (under `C` every character beyond ASCII is a
 * letter), so it is checked first. Anything else beyond ASCII (a letter of
 * another alphabet, whose lower case and stem depend on the locale too) is
 * left to the database.
 */
export const WIDE_BLANKS = new Set([0xa0, 0xab, 0xb7, 0xbb, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2018, 0x2019, 0x201a, 0x201c, 0x201d, 0x201e, 0x2022, 0x2026, 0x2032, 0x2033]);

const kindOf = (code: number, wide: boolean): Kind => (code < 128 ? ASCII[code] : wide && WIDE_BLANKS.has(code) ? Kind.BLANK : Kind.DECLINE);
const isAlnum = (code: number) => code < 128 && (ASCII[code] === Kind.LETTER || ASCII[code] === Kind.DIGIT);

/** Runs without whitespace up to this long; a text with a longer one is left to the database, which skips words of 2,047 bytes and more. */
const MAX_WORD = 256;
/** A tsvector position's ceiling: later words share it, which is left to the database. */
const MAX_POSITION = 16_383;
/** Positions a tsvector keeps per lexeme. */
const MAX_POSITIONS_PER_LEXEME = 255;

/** Marks a field of `englishWords` that the database's parser reads. */
export const FIELD = '\0';

const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13);

/**
 * Lower-cased ASCII words met before, found by their characters: prose
 * repeats a few thousand words, so reading one costs a lookup and no new
 * string (a third of the splitting's time went to collecting such strings).
 * Starts again past `INTERNED_WORDS`.
 */
const INTERNED_WORDS = 100_000;
let internSlots = new Int32Array(1 << 12).fill(-1);
let interned: string[] = [];
let internHashes: number[] = [];

function internedWord(text: string, from: number, to: number): string {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ (text.charCodeAt(i) | 32), 0x01000193);
  let mask = internSlots.length - 1;
  const length = to - from;
  let at = hash & mask;
  for (let index = internSlots[at]; index !== -1; index = internSlots[(at = (at + 1) & mask)]) {
    const word = interned[index];
    if (internHashes[index] !== hash || word.length !== length) continue;
    let same = true;
    // Only letters and digits are read here, so `| 32` lower-cases letters and leaves digits.
    for (let i = 0; i < length && same; i++) same = word.charCodeAt(i) === (text.charCodeAt(from + i) | 32);
    if (same) return word;
  }
  const word = text.slice(from, to).toLowerCase();
  if (interned.length >= INTERNED_WORDS) {
    interned = [];
    internHashes = [];
    internSlots.fill(-1);
  } else if ((interned.length + 1) * 2 > internSlots.length) {
    internSlots = new Int32Array(internSlots.length * 2).fill(-1);
    mask = internSlots.length - 1;
    interned.forEach((_, index) => {
      let slot = internHashes[index] & mask;
      while (internSlots[slot] !== -1) slot = (slot + 1) & mask;
      internSlots[slot] = index;
    });
  }
  at = hash & mask;
  while (internSlots[at] !== -1) at = (at + 1) & mask;
  internSlots[at] = interned.length;
  interned.push(word);
  internHashes.push(hash);
  return word;
}

/**
 * Pushes the words of `text[from, to)`, a run without whitespace, as the
 * parser splits them; false (having pushed some, perhaps) when it holds
 * something only the parser reads right.
 */
function scanField(text: string, from: number, to: number, words: string[], wide: boolean): boolean {
  let i = from;
  while (i < to) {
    const kind = kindOf(text.charCodeAt(i), wide);
    if (kind === Kind.LETTER || kind === Kind.DIGIT) {
      const start = i;
      let digits = false;
      let end = i;
      while (end < to && isAlnum(text.charCodeAt(end))) {
        if (ASCII[text.charCodeAt(end)] === Kind.DIGIT) digits = true;
        end++;
      }
      // A hyphen joins words into one only when a word follows it.
      if (end + 1 < to && text.charCodeAt(end) === 45 && isAlnum(text.charCodeAt(end + 1))) {
        const parts: string[] = [text.slice(start, end).toLowerCase()];
        while (end + 1 < to && text.charCodeAt(end) === 45 && isAlnum(text.charCodeAt(end + 1))) {
          const partStart = ++end;
          while (end < to && isAlnum(text.charCodeAt(end))) {
            if (ASCII[text.charCodeAt(end)] === Kind.DIGIT) digits = true;
            end++;
          }
          parts.push(text.slice(partStart, end).toLowerCase());
        }
        // Hyphenated words with a number in them, and signed numbers after a hyphen.
        if (digits) return false;
        words.push(text.slice(start, end).toLowerCase(), ...parts);
      } else {
        // Digits then an `e` begin a number in scientific notation (`522e4c2` is `522e4`, `c2`).
        if (digits && ASCII[text.charCodeAt(start)] === Kind.DIGIT) {
          let k = start;
          while (ASCII[text.charCodeAt(k)] === Kind.DIGIT) k++;
          if ((text.charCodeAt(k) | 32) === 101) return false;
        }
        words.push(internedWord(text, start, end));
      }
      i = end;
      continue;
    }
    const next = i + 1 < to ? text.charCodeAt(i + 1) : -1;
    switch (kind) {
      case Kind.BLANK:
        break;
      case Kind.HYPHEN:
      case Kind.PLUS:
        if (next >= 48 && next <= 57) return false;
        break;
      case Kind.DOT:
        // A host or file name may go on after a dot with a letter, digit or underscore.
        if (next !== -1 && !(next < 128 ? ASCII[next] === Kind.BLANK && next !== 95 : wide && WIDE_BLANKS.has(next))) return false;
        break;
      case Kind.AMPERSAND:
        if (next === 35 || (next >= 0 && next < 128 && ASCII[next] === Kind.LETTER)) return false;
        break;
      default:
        return false;
    }
    i++;
  }
  return true;
}

/** The parser skips what lies between these tags and their closing tags. */
const SCRIPT_OR_STYLE = /^<\/?(?:script|style)/i;

/** Whether a tag may open at `text[at]`, a `<`, and close after whitespace. */
function spansWhitespace(text: string, at: number): boolean {
  let i = at + 1;
  if (i >= text.length || isSpace(text.charCodeAt(i))) return false;
  while (i < text.length && text.charCodeAt(i) !== 62 && !isSpace(text.charCodeAt(i))) i++;
  return i < text.length && text.charCodeAt(i) !== 62 && text.indexOf('>', i) !== -1;
}

/**
 * A text's words in order, lower-cased, each at the position of its index
 * plus one, as `to_tsvector` numbers them (a hyphenated word first, then its
 * parts). Whitespace ends every token the parser knows but tags, so a run
 * between whitespace that holds a URL, path, e-mail, decimal or a letter
 * beyond ASCII comes whole, after `FIELD` (and a space when whitespace came
 * before it), for the database to read. Undefined
 * when the whole text is the database's: it may hold a tag with whitespace
 * in it, a script or style (whose text the parser skips), control
 * characters, or words longer than the parser indexes. Without `wide`,
 * runs with any character beyond ASCII are the database's to read.
 */
export function englishWords(text: string, wide = true): string[] | undefined {
  const words: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (isSpace(code)) {
      i++;
      continue;
    }
    let end = i;
    for (let c = code; end < n && !isSpace(c); c = text.charCodeAt(++end)) {
      // A tag (`<a href="x y">`) may span whitespace; one that closes before it is read with its run.
      if (c === 60 && (spansWhitespace(text, end) || SCRIPT_OR_STYLE.test(text.slice(end, end + 8)))) return undefined;
      if (c < 32 || c === 127) return undefined;
    }
    if (end - i > MAX_WORD) return undefined;
    const before = words.length;
    if (!scanField(text, i, end, words, wide)) {
      words.length = before;
      // After whitespace the parser starts fewer tokens than at the start of a text (`~` there begins a path).
      words.push(FIELD + (i === 0 ? '' : ' ') + text.slice(i, end));
    }
    i = end;
  }
  return words;
}

/** Numbers and words with digits, which the `simple` dictionary keeps as written. */
export const hasDigit = (word: string) => {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
};

const quoted = (lexeme: string) => `'${lexeme.includes("'") || lexeme.includes('\\') ? lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''") : lexeme}'`;

/** A lexeme met while writing tsvectors, with the positions it has in the text being written. */
interface LexemeSlot {
  quoted: string;
  lexeme: string;
  /** The text it last appeared in; its positions count only for that one. */
  text: number;
  positions: number[];
}

/**
 * Writes a tsvector's text form from words numbered from 1 and their
 * lexemes ('' for a stop word); undefined when a word's is unknown. Each
 * lexeme keeps one slot from text to text, so a text allocates only its
 * output.
 */
export function createTsvectorWriter() {
  let slots = new Map<string, LexemeSlot>();
  let texts = 0;
  return function tsvectorText(words: string[], lexemesOf: (word: string) => Lexemes | undefined): string | undefined {
    if (slots.size > 200_000) slots = new Map();
    const text = ++texts;
    const used: LexemeSlot[] = [];
    let position = 0;
    const add = (lexeme: string) => {
      position++;
      if (!lexeme) return true;
      let slot = slots.get(lexeme);
      if (!slot) slots.set(lexeme, (slot = { lexeme, quoted: quoted(lexeme), text: 0, positions: [] }));
      if (slot.text !== text) {
        slot.text = text;
        slot.positions.length = 0;
        used.push(slot);
      }
      return slot.positions.push(position) <= MAX_POSITIONS_PER_LEXEME;
    };
    for (const word of words) {
      // Words with digits are never asked of the database (runs after `FIELD` are), so they are looked up first.
      const lexemes = lexemesOf(word) ?? (word[0] !== FIELD && hasDigit(word) ? word : undefined);
      if (lexemes === undefined) return undefined;
      if (typeof lexemes === 'string') {
        if (!add(lexemes)) return undefined;
      } else {
        for (const lexeme of lexemes) if (!add(lexeme)) return undefined;
      }
    }
    if (position > MAX_POSITION) return undefined;
    used.sort((a, b) => byBytes(a.lexeme, b.lexeme));
    let out = '';
    for (let i = 0; i < used.length; i++) out += `${i ? ' ' : ''}${used[i].quoted}:${used[i].positions.join(',')}`;
    return out;
  };
}

/**
 * A tsvector's order: its lexemes' UTF-8 bytes, which is code point order.
 * UTF-16 order, JavaScript's, is the same but for characters beyond U+FFFF,
 * whose surrogates sort below U+E000 to U+FFFF.
 */
function byBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return (a.codePointAt(i)! < b.codePointAt(i)! ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** What the database makes of a word (its stem, '' for a stop word) or of a run (one lexeme per position). */
export type Lexemes = string | string[];

/** A split of texts waiting for the lexemes of the words and runs not yet known. */
export interface PendingSplit {
  /** Distinct words and runs (after `FIELD`) whose lexemes the database must give. */
  unknown: string[];
  /** Each text's `tsvector` text once `learnt` holds what `unknown` asked; undefined for the texts left to the database. */
  finish(learnt: Map<string, Lexemes>): (string | undefined)[];
}

/**
 * The words and runs met so far with their lexemes, up to `entries` (it
 * starts again when full), and the splitting of texts against them.
 */
export function createLexicon(entries: number) {
  const known = new Map<string, Lexemes>();
  const tsvectorText = createTsvectorWriter();
  return {
    split(texts: string[], wide: boolean): PendingSplit {
      const split = texts.map((text) => englishWords(text, wide));
      const unknown = new Set<string>();
      for (const words of split) {
        if (!words) continue;
        for (const word of words) if (!known.has(word) && (word[0] === FIELD || !hasDigit(word))) unknown.add(word);
      }
      return {
        unknown: [...unknown],
        finish(learnt) {
          if (known.size + learnt.size > entries) known.clear();
          for (const [word, lexemes] of learnt) known.set(word, lexemes);
          // A word another split's full cache dropped meanwhile leaves its text to the database.
          const lexemesOf = (word: string) => known.get(word) ?? learnt.get(word);
          return split.map((words) => words && tsvectorText(words, lexemesOf));
        },
      };
    },
  };
}
