/**
 * o200k_base's pre-tokenization of plain ASCII text, written as a scanner,
 * and a memo of piece counts looked up by the characters in place.
 *
 * Token counting splits a text with the encoding's pattern and counts each
 * piece through a memo. Done with the pattern, every piece becomes a new
 * string that must be hashed for the memo and collected afterwards, which
 * was most of the cost of validating a dataset. On ASCII text the pattern's
 * Unicode classes reduce to a handful of character classes, so a scanner
 * finds the same pieces and a table keyed by a hash of the characters finds
 * their counts without making a string, except for a piece not seen before.
 *
 * The pattern, alternatives tried in order at each position:
 *   1. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+ contraction?
 *   2. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]* contraction?
 *   3. \p{N}{1,3}
 *   4. ' '?[^\s\p{L}\p{N}]+[\r\n/]*
 *   5. \s*[\r\n]+
 *   6. \s+(?!\S)
 *   7. \s+
 * where a contraction is 's 'd 'm 't 'll 've 're in any case. In ASCII, L is
 * [A-Za-z], Lu [A-Z], Ll [a-z], N [0-9], and Lt, Lm, Lo and M are empty.
 */

const UPPER = 1;
const LOWER = 2;
const DIGIT = 3;
/** \r and \n. */
const NEWLINE = 4;
/** The other whitespace: space, tab, vertical tab, form feed. */
const SPACE = 5;
/** Everything else: punctuation, symbols, control characters. */
const OTHER = 6;

const CLASS = new Uint8Array(128).fill(OTHER);
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER;
for (let c = 97; c <= 122; c++) CLASS[c] = LOWER;
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
CLASS[10] = NEWLINE;
CLASS[13] = NEWLINE;
for (const c of [9, 11, 12, 32]) CLASS[c] = SPACE;

// eslint-disable-next-line no-control-regex -- the test is for plain ASCII, control characters included
const ASCII = /^[\x00-\x7f]*$/;

export const isAscii = (text: string) => ASCII.test(text);

const isLetter = (k: number) => k === UPPER || k === LOWER;

/** The end of a contraction starting at `at` (an apostrophe), or `at` when there is none. */
function contractionEnd(text: string, at: number, n: number): number {
  if (at + 1 >= n || text.charCodeAt(at) !== 39) return at;
  const a = text.charCodeAt(at + 1) | 0x20;
  if (a === 115 || a === 100 || a === 109 || a === 116) return at + 2; // s d m t
  if (at + 2 >= n) return at;
  const b = text.charCodeAt(at + 2) | 0x20;
  if ((a === 108 && b === 108) || (a === 118 && b === 101) || (a === 114 && b === 101)) return at + 3; // ll ve re
  return at;
}

/** The end of the piece starting at `p` in an ASCII text of length `n`. */
export function asciiPieceEnd(text: string, p: number, n: number): number {
  const k = CLASS[text.charCodeAt(p)];
  // 1 and 2: a word, after at most one character that is neither a letter, a digit nor a line break.
  const q = k === SPACE || k === OTHER ? p + 1 : p;
  if (q < n && isLetter(CLASS[text.charCodeAt(q)])) {
    let e = q;
    while (e < n && CLASS[text.charCodeAt(e)] === UPPER) e++;
    while (e < n && CLASS[text.charCodeAt(e)] === LOWER) e++;
    // With lower-case letters after the capitals this is alternative 1, else 2 with no lower-case letters: both end the same.
    return contractionEnd(text, e, n);
  }
  if (k === DIGIT) {
    let e = p + 1;
    while (e < n && e < p + 3 && CLASS[text.charCodeAt(e)] === DIGIT) e++;
    return e;
  }
  // 4: symbols, after at most one space, and the line breaks and slashes that follow them.
  const symbols = k === OTHER ? p : text.charCodeAt(p) === 32 && p + 1 < n && CLASS[text.charCodeAt(p + 1)] === OTHER ? p + 1 : -1;
  if (symbols >= 0) {
    let e = symbols + 1;
    while (e < n && CLASS[text.charCodeAt(e)] === OTHER) e++;
    for (let c = text.charCodeAt(e); e < n && (c === 10 || c === 13 || c === 47); c = text.charCodeAt(++e));
    return e;
  }
  // Whitespace: k is SPACE or NEWLINE here.
  let e = p + 1;
  let lastNewline = k === NEWLINE ? p : -1;
  for (; e < n; e++) {
    const c = CLASS[text.charCodeAt(e)];
    if (c === NEWLINE) lastNewline = e;
    else if (c !== SPACE) break;
  }
  // 5: up to and including the last line break of the run.
  if (lastNewline >= 0) return lastNewline + 1;
  // 6: the run, leaving its last space to the word after it; 7: a single space before a word.
  return e === n || e - p < 2 ? e : e - 1;
}

/**
 * Counts of pieces, found by their characters in place: open addressing on a
 * 32-bit hash of the characters, each hit confirmed against the stored piece.
 * Holds at most `entries` pieces, starting afresh when full.
 */
export function createPieceMemo(countPiece: (piece: string) => number, entries: number) {
  let capacity = 1;
  while (capacity < entries * 2) capacity *= 2;
  const mask = capacity - 1;
  const hashes = new Int32Array(capacity);
  // The count plus one, so that 0 marks an empty slot.
  const counts = new Int32Array(capacity);
  const pieces: string[] = new Array<string>(capacity).fill('');
  let size = 0;

  return (text: string, start: number, end: number): number => {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    const length = end - start;
    let slot = h & mask;
    for (let stored = counts[slot]; stored !== 0; stored = counts[slot]) {
      if (hashes[slot] === h) {
        const piece = pieces[slot];
        if (piece.length === length && text.startsWith(piece, start)) return stored - 1;
      }
      slot = (slot + 1) & mask;
    }
    const piece = text.slice(start, end);
    const n = countPiece(piece);
    if (size >= entries) {
      counts.fill(0);
      pieces.fill('');
      size = 0;
      slot = h & mask;
    }
    hashes[slot] = h;
    counts[slot] = n + 1;
    pieces[slot] = piece;
    size++;
    return n;
  };
}
