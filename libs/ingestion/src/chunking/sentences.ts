export interface Span {
  start: number;
  end: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
/** ICU's sentence segmentation slows down sharply on long inputs: feed it windows of about this size. */
const WINDOW = 2000;

/** A cut point at or before `limit`: after a newline, else after a space, else `limit`. */
function cutPoint(text: string, from: number, limit: number): number {
  const newline = text.lastIndexOf('\n', limit - 1);
  if (newline > from + WINDOW / 2) return newline + 1;
  const space = text.lastIndexOf(' ', limit - 1);
  if (space > from + WINDOW / 2) return space + 1;
  return limit;
}

// Sentence_Break classes of ASCII characters (Unicode UAX #29), as ICU assigns them; 0 is Other.
const SEP = 1;
const SP = 2;
const LOWER = 3;
const UPPER = 4;
const NUMERIC = 5;
const ATERM = 6;
const STERM = 7;
const CLOSE = 8;
const SCONTINUE = 9;
const CR = 10;

const CLASS = new Uint8Array(128);
for (let c = 0x61; c <= 0x7a; c++) CLASS[c] = LOWER;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c] = UPPER;
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = NUMERIC;
for (const ch of '\t\v\f ') CLASS[ch.charCodeAt(0)] = SP;
for (const ch of '"\'()[]{}') CLASS[ch.charCodeAt(0)] = CLOSE;
for (const ch of ',-:;') CLASS[ch.charCodeAt(0)] = SCONTINUE;
CLASS[0x0a] = SEP;
CLASS[0x0d] = CR;
CLASS[0x2e] = ATERM;
CLASS[0x21] = STERM;
CLASS[0x3f] = STERM;

/**
 * The sentence breaks ICU finds (UAX #29 rules SB3–SB11) in `text.slice(from, to)`
 * when it is all ASCII, written out: for ASCII the rules need no tables, and
 * this runs several times faster than `Intl.Segmenter`. Returns false for
 * other text, which goes to ICU.
 */
function asciiSentences(text: string, from: number, to: number, spans: Span[]): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) > 0x7f) return false;
  const classOf = (at: number) => (at < to ? CLASS[text.charCodeAt(at)] : -1);
  let start = from;
  const cut = (at: number) => {
    spans.push({ start, end: at });
    start = at;
  };
  for (let i = from; i < to; i++) {
    const c = CLASS[text.charCodeAt(i)];
    if (c === SEP) {
      cut(i + 1);
      continue;
    }
    if (c === CR) {
      const next = classOf(i + 1) === SEP ? i + 2 : i + 1;
      cut(next);
      i = next - 1;
      continue;
    }
    if (c !== ATERM && c !== STERM) continue;
    const next = classOf(i + 1);
    if (c === ATERM && next === NUMERIC) continue; // SB6
    if (c === ATERM && next === UPPER && i > from && (CLASS[text.charCodeAt(i - 1)] === UPPER || CLASS[text.charCodeAt(i - 1)] === LOWER)) continue; // SB7
    let k = i + 1;
    while (classOf(k) === CLOSE) k++;
    while (classOf(k) === SP) k++;
    const after = classOf(k);
    if (after === SCONTINUE || after === ATERM || after === STERM) continue; // SB8a
    if (after === SEP) {
      cut(k + 1); // SB11 after a paragraph separator
      i = k;
      continue;
    }
    if (after === CR) {
      const end = classOf(k + 1) === SEP ? k + 2 : k + 1;
      cut(end);
      i = end - 1;
      continue;
    }
    if (c === ATERM) {
      // SB8: no break when a lower-case letter comes before any letter, separator or terminator.
      let m = k;
      let cls = classOf(m);
      while (cls !== -1 && cls !== UPPER && cls !== LOWER && cls !== SEP && cls !== CR && cls !== ATERM && cls !== STERM) cls = classOf(++m);
      if (cls === LOWER) continue;
    }
    if (k >= to) break;
    cut(k);
    i = k - 1;
  }
  if (start < to) cut(to);
  return true;
}

/** Sentence spans of `text.slice(start, end)`, absolute offsets, trailing whitespace included. */
export function sentenceSpans(text: string, start: number, end: number): Span[] {
  const spans: Span[] = [];
  let from = start;
  while (from < end) {
    const to = end - from > WINDOW ? cutPoint(text, from, from + WINDOW) : end;
    if (!asciiSentences(text, from, to, spans)) {
      for (const { index, segment } of segmenter.segment(text.slice(from, to))) {
        spans.push({ start: from + index, end: from + index + segment.length });
      }
    }
    from = to;
  }
  return spans;
}

/** Word spans (each with its trailing whitespace) of `text.slice(start, end)`. */
export function wordSpans(text: string, start: number, end: number): Span[] {
  const spans: Span[] = [];
  const pattern = /\S+\s*/g;
  pattern.lastIndex = start;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) && match.index < end) {
    spans.push({ start: match.index, end: Math.min(end, match.index + match[0].length) });
  }
  if (spans.length && spans[0].start > start) spans[0] = { ...spans[0], start };
  return spans;
}
