import { countTokens as count } from 'gpt-tokenizer';

// User text may contain strings like "<|endoftext|>": count them as text, never throw.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens in `text` with the o200k_base encoding (GPT-4o and later). */
export function countTokens(text: string): number {
  return text ? count(text, AS_TEXT) : 0;
}
