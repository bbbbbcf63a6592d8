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
  for (const [token] of text.matchAll(COMPOUND)) {
    if (!SEPARATOR.test(token) && !CAMEL.test(token)) continue;
    for (const piece of token.split(/[^\p{L}\p{N}]+/u)) {
      for (const part of CAMEL.test(piece) ? camelParts(piece) : [piece]) {
        // Single letters (`e.g.`) and numbers (`1.2.3`) say nothing about the subject.
        if (part.length > 1 && /\p{L}/u.test(part)) parts.push(part);
      }
    }
  }
  return parts.join(' ');
}

/** The text with its identifiers' parts appended, as full-text search indexes and queries it. */
export function withIdentifierParts(text: string): string {
  const parts = identifierParts(text);
  return parts ? `${text}\n${parts}` : text;
}
