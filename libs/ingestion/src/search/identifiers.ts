/** A run of word characters joined by `.`, `:`, `/`, `-` or `_`: `fs.readFile`, `snake_case`, `a/b`, `--max-old-space`. */
const COMPOUND = /[\p{L}\p{N}_$]+(?:[.:/_-]+[\p{L}\p{N}_$]+)*/gu;
const SEPARATOR = /[.:/]/;
const CAMEL = /\p{Ll}\p{Lu}|\p{Lu}\p{Lu}\p{Ll}/u;

function camelParts(word: string): string[] {
  return word
    .replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .split(' ');
}

const NOT_ASCII = /[\u0080-\uffff]/;

/** ASCII classes of `COMPOUND`: word characters, and the joints between them (`_` is both). */
const WORD_CHAR = 1;
const JOINT = 2;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] = (/[A-Za-z0-9_$]/.test(ch) ? WORD_CHAR : 0) | (/[.:/_-]/.test(ch) ? JOINT : 0);
}
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLower = (c: number) => c >= 97 && c <= 122;

/**
 * Calls `take` with each of `COMPOUND`'s matches in an ASCII text that may
 * be an identifier (with `.`, `:` or `/` inside, or a step in case as
 * `CAMEL` finds), in order, without cutting out the others. A match is a
 * run of word characters and joints without the joints at its ends, so the
 * text is read once.
 */
function forEachAsciiIdentifier(text: string, take: (token: string) => void) {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!(CLASS[text.charCodeAt(i)] & WORD_CHAR)) {
      i++;
      continue;
    }
    const start = i;
    let end = i;
    let firstSeparator = -1;
    let camel = false;
    let previous = 0;
    let beforePrevious = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      const kind = c < 128 ? CLASS[c] : 0;
      if (!kind) break;
      if (kind & WORD_CHAR) end = i + 1;
      else if (firstSeparator === -1 && (c === 46 || c === 58 || c === 47)) firstSeparator = i;
      if ((isUpper(c) && isLower(previous)) || (isLower(c) && isUpper(previous) && isUpper(beforePrevious))) camel = true;
      beforePrevious = previous;
      previous = c;
    }
    if (camel || (firstSeparator !== -1 && firstSeparator < end)) take(text.slice(start, end));
  }
}

/**
 * The parts of the identifiers in a text, space-separated: `fs.readFile` gives `fs read File`,
 * `defParamCharset` gives `def Param Charset`, `backup.tar.gz` gives `backup tar gz`.
 * Postgres's parser keeps such tokens whole (`fs.readfile`, `defparamcharset`), so a question
 * that names only a part would miss them; the parts are indexed beside the whole, and added to
 * queries the same way, in JavaScript so that Postgres and PGlite index identically.
 * Words joined only by `-` or `_` are left out: the parser already splits those.
 */
export function identifierParts(text: string): string {
  const parts: string[] = [];
  const take = (token: string) => {
    if (!SEPARATOR.test(token) && !CAMEL.test(token)) return;
    for (const piece of token.split(/[^\p{L}\p{N}]+/u)) {
      for (const part of CAMEL.test(piece) ? camelParts(piece) : [piece]) {
        // Single letters (`e.g.`) and numbers (`1.2.3`) say nothing about the subject.
        if (part.length > 1 && /\p{L}/u.test(part)) parts.push(part);
      }
    }
  };
  if (NOT_ASCII.test(text)) {
    for (const [token] of text.matchAll(COMPOUND)) take(token);
  } else {
    forEachAsciiIdentifier(text, take);
  }
  return parts.join(' ');
}

/** The text with its identifiers' parts appended, as full-text search indexes and queries it. */
export function withIdentifierParts(text: string): string {
  const parts = identifierParts(text);
  return parts ? `${text}\n${parts}` : text;
}
