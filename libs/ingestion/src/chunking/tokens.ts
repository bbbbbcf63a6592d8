import { countTokens as count } from 'gpt-tokenizer';

// User text may contain strings like "<|endoftext|>": count them as text, never throw.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Runs this long of spaces or of non-spaces are counted in blocks. Byte-pair
 * merging is quadratic in the length of one pre-tokenized piece: 30,000
 * spaces, or a base64 blob without breaks, take over half a second at once.
 * Counted per block they take microseconds, and the count moves by at most
 * one token per block boundary.
 */
const LONG_RUN = 256;
const BLOCK = 128;
const LONG_RUNS = new RegExp(`\\s{${LONG_RUN},}|\\S{${LONG_RUN},}`, 'g');

function countRun(run: string): number {
  let total = 0;
  for (let at = 0; at < run.length; at += BLOCK) total += count(run.slice(at, at + BLOCK), AS_TEXT);
  return total;
}

/** Tokens in `text` with the o200k_base encoding (GPT-4o and later); exact unless the text holds very long runs. */
export function countTokens(text: string): number {
  if (!text) return 0;
  let total = 0;
  let from = 0;
  for (const match of text.matchAll(LONG_RUNS)) {
    if (match.index > from) total += count(text.slice(from, match.index), AS_TEXT);
    total += countRun(match[0]);
    from = match.index + match[0].length;
  }
  if (from === 0) return count(text, AS_TEXT);
  if (from < text.length) total += count(text.slice(from), AS_TEXT);
  return total;
}
