import { countTokens as count } from 'gpt-tokenizer';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

// User text may contain strings like "<|endoftext|>": count them as text, never throw.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Pieces of the pre-tokenizer longer than this are counted in blocks.
 * Byte-pair merging is quadratic in the length of one piece: 30,000 spaces,
 * or a base64 blob without breaks, take over half a second at once. Counted
 * per block they take microseconds, and the count moves by at most one token
 * per block boundary.
 */
const LONG_PIECE = 256;
const BLOCK = 128;
/** Pieces remembered with their counts: words repeat, and a lookup is cheaper than the tokenizer's own call. */
const CACHE_LIMIT = 100_000;
const CACHED_PIECE = 48;

const cache = new Map<string, number>();
/** Characters past its end that the pre-tokenizer reads to end a word piece (a contraction such as "'ll"). */
const TAIL = 3;
const WHITESPACE = /\s/;

function pieceTokens(piece: string): number {
  const cached = cache.get(piece);
  if (cached !== undefined) return cached;
  let tokens = 0;
  if (piece.length > LONG_PIECE) {
    for (let at = 0; at < piece.length; at += BLOCK) tokens += count(piece.slice(at, at + BLOCK), AS_TEXT);
    return tokens;
  }
  tokens = count(piece, AS_TEXT);
  if (piece.length <= CACHED_PIECE) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(piece, tokens);
  }
  return tokens;
}

/** The o200k pre-tokenizer, as the tokenizer itself splits text before merging bytes. */
const splitter = () => new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);
const SPLIT = splitter();

function countPieces(text: string, from: number, to: number): number {
  const piece = from === 0 && to === text.length ? text : text.slice(from, to);
  let total = 0;
  SPLIT.lastIndex = 0;
  for (let match = SPLIT.exec(piece); match; match = SPLIT.exec(piece)) total += pieceTokens(match[0]);
  return total;
}

/**
 * Tokens in `text` with the o200k_base encoding (GPT-4o and later): the sum
 * over the pre-tokenizer's pieces. Exact unless a piece is very long.
 */
export function countTokens(text: string): number {
  return text ? countPieces(text, 0, text.length) : 0;
}

/**
 * A text split once by the pre-tokenizer, answering `countTokens(text.slice(start, end))`
 * for any span without tokenizing it again. Pieces do not depend on what
 * precedes them, so a span's pieces are the text's pieces, except at its
 * edges: from `start`, the span is split afresh until a piece ends where one
 * of the text's begins; the piece cut by `end` is split afresh too.
 */
export class TextTokens {
  /** Where each piece starts; one more entry holds the end of the last. */
  private readonly starts: Int32Array;
  /** `before[i]`: tokens in the pieces before piece `i`. */
  private readonly before: Int32Array;
  private readonly edge = splitter();
  /** Whether the pieces cover the text without gaps, as the pre-tokenizer's pattern is written to. */
  private readonly tiled: boolean;

  constructor(readonly text: string) {
    // Typed arrays, grown by doubling: pushing a million numbers onto plain arrays costs more than the splitting.
    let starts = new Int32Array(Math.max(16, text.length >> 2));
    let before = new Int32Array(starts.length);
    let pieces = 0;
    let total = 0;
    let end = 0;
    SPLIT.lastIndex = 0;
    for (let match = SPLIT.exec(text); match; match = SPLIT.exec(text)) {
      if (match.index !== end) break;
      if (pieces + 2 > starts.length) {
        const grownStarts = new Int32Array(starts.length * 2);
        grownStarts.set(starts);
        starts = grownStarts;
        const grownBefore = new Int32Array(before.length * 2);
        grownBefore.set(before);
        before = grownBefore;
      }
      starts[pieces] = end;
      before[pieces] = total;
      pieces++;
      total += pieceTokens(match[0]);
      end = SPLIT.lastIndex;
    }
    this.tiled = end === text.length;
    // The end of the last piece closes the list.
    starts[pieces] = end;
    before[pieces] = total;
    this.starts = starts.subarray(0, pieces + 1);
    this.before = before.subarray(0, pieces + 1);
  }

  /** Index of the first piece starting at or after `at`. */
  private firstFrom(at: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.starts[middle] < at) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Exactly `countTokens(text.slice(start, end))`. */
  count(start: number, end: number): number {
    if (end <= start) return 0;
    const { text, starts, before, edge } = this;
    if (!this.tiled) return countTokens(text.slice(start, end));
    let total = 0;
    let at = start;
    let piece = this.firstFrom(start);
    // Split afresh from `start` until in step with the text's own pieces.
    edge.lastIndex = start;
    while (starts[piece] !== at) {
      const match = edge.exec(text);
      if (!match || match.index !== at || edge.lastIndex >= end) return countTokens(text.slice(start, end));
      total += pieceTokens(match[0]);
      at = edge.lastIndex;
      while (starts[piece] < at) piece++;
    }
    // The pre-tokenizer looks past a piece's end: a few characters after a
    // word, to the end of a run of blanks. Pieces that end after a
    // non-blank at least this far before `end` did not see past it; the
    // rest are split afresh.
    let tail = this.firstFrom(end - TAIL + 1) - 1;
    while (tail > piece && WHITESPACE.test(text[starts[tail] - 1])) tail--;
    if (tail < piece || (tail === piece && at !== start && WHITESPACE.test(text[at - 1]))) return countTokens(text.slice(start, end));
    return total + before[tail] - before[piece] + countPieces(text, starts[tail], end);
  }
}
