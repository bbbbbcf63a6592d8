import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { isChatRecord, type DatasetRecord } from '../records/record';
import { asciiPieceEnd, createPieceMemo, isAscii } from './ascii-pieces';

export type Encoding = 'o200k_base' | 'cl100k_base';

/** Counts tokens the way a model family's tokenizer does, or estimates with o200k_base where its vocabulary is not shipped. */
export interface TokenCounter {
  encoding: Encoding;
  /** True when the model family has its own tokenizer and these counts are an estimate. */
  estimated: boolean;
  /** Context window assumed for the family, in tokens. */
  contextLength: number;
  countText(text: string): number;
  countRecord(record: DatasetRecord): number;
}

/**
 * Model families by name prefix, most specific first. OpenAI's families use
 * their own encodings; open-weight families (Llama, Mistral, Qwen, …) have
 * vocabularies that are not shipped here, so o200k_base stands in for them.
 */
const FAMILIES: Array<{ prefix: string; encoding: Encoding; contextLength: number; estimated: boolean }> = [
  { prefix: 'gpt-4o', encoding: 'o200k_base', contextLength: 65_536, estimated: false },
  { prefix: 'gpt-4.1', encoding: 'o200k_base', contextLength: 65_536, estimated: false },
  { prefix: 'gpt-5', encoding: 'o200k_base', contextLength: 65_536, estimated: false },
  { prefix: 'o1', encoding: 'o200k_base', contextLength: 65_536, estimated: false },
  { prefix: 'o3', encoding: 'o200k_base', contextLength: 65_536, estimated: false },
  { prefix: 'o4', encoding: 'o200k_base', contextLength: 65_536, estimated: false },
  { prefix: 'gpt-oss', encoding: 'o200k_base', contextLength: 131_072, estimated: false },
  { prefix: 'gpt-4', encoding: 'cl100k_base', contextLength: 8_192, estimated: false },
  { prefix: 'gpt-3.5', encoding: 'cl100k_base', contextLength: 16_385, estimated: false },
  { prefix: 'llama', encoding: 'o200k_base', contextLength: 8_192, estimated: true },
  { prefix: 'mistral', encoding: 'o200k_base', contextLength: 32_768, estimated: true },
  { prefix: 'qwen', encoding: 'o200k_base', contextLength: 32_768, estimated: true },
];

export const DEFAULT_CONTEXT_LENGTH = 16_384;

// User text may contain strings like "<|endoftext|>": count them as text, never throw.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

const MEMO_ENTRIES = 4096;
const MEMO_MAX_CHARS = 256;
/** Distinct pre-tokenized pieces remembered: words repeat across a dataset far more than whole texts do. */
const PIECE_MEMO_ENTRIES = 65_536;

/** Per message, OpenAI's chat format adds about 3 tokens of framing, and 3 more prime the reply. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;

export interface TokenCounterOptions {
  /** Target model name, e.g. `gpt-4o-mini-2024-07-18` or `llama-3.1-8b`; its family picks the encoding. */
  model?: string;
  /** Forces an encoding regardless of the model. */
  encoding?: Encoding;
  contextLength?: number;
}

export function createTokenCounter({ model, encoding, contextLength }: TokenCounterOptions = {}): TokenCounter {
  const name = model?.toLowerCase();
  const family = name === undefined ? undefined : FAMILIES.find((f) => name.startsWith(f.prefix));
  const chosen: Encoding = encoding ?? family?.encoding ?? 'o200k_base';
  const countWhole = chosen === 'cl100k_base' ? countCl100k : countO200k;
  // The encoding splits text with its pattern and encodes each piece on its own, so a text's count is the sum of
  // its pieces' counts. Counting through a memo of pieces skips the library's per-piece lookups in its 200k-entry
  // vocabulary and its LRU of merges, which dominated validation; the counts are the library's own, per piece.
  const split = new RegExp((chosen === 'cl100k_base' ? CL100K_TOKEN_SPLIT_REGEX : O200K_TOKEN_SPLIT_REGEX).source, 'gu');
  const pieces = new Map<string, number>();
  // Plain ASCII text under o200k_base, most of what datasets hold, is split by a scanner that finds the pattern's
  // pieces and looks their counts up in place, without a string per piece.
  const asciiMemo = chosen === 'o200k_base' ? createPieceMemo((piece) => countWhole(piece, AS_TEXT), PIECE_MEMO_ENTRIES) : null;
  const count = (text: string) => {
    if (asciiMemo && isAscii(text)) {
      let tokens = 0;
      for (let start = 0, end = 0, n = text.length; start < n; start = end) {
        end = asciiPieceEnd(text, start, n);
        tokens += asciiMemo(text, start, end);
      }
      return tokens;
    }
    let tokens = 0;
    // One global match returns the pieces as plain strings, without a match object per piece as an `exec` loop makes.
    const found = text.match(split);
    if (found === null) return 0;
    for (let i = 0; i < found.length; i++) {
      const piece = found[i];
      let n = pieces.get(piece);
      if (n === undefined) {
        if (pieces.size >= PIECE_MEMO_ENTRIES) pieces.clear();
        n = countWhole(piece, AS_TEXT);
        pieces.set(piece, n);
      }
      tokens += n;
    }
    return tokens;
  };
  // Datasets repeat short texts (system prompts above all): remember their counts, up to a bounded number.
  const recent = new Map<string, number>();
  const countText = (text: string) => {
    if (!text) return 0;
    if (text.length > MEMO_MAX_CHARS) return count(text);
    let tokens = recent.get(text);
    if (tokens === undefined) {
      if (recent.size >= MEMO_ENTRIES) recent.clear();
      tokens = count(text);
      recent.set(text, tokens);
    }
    return tokens;
  };
  return {
    encoding: chosen,
    estimated: encoding === undefined && (family?.estimated ?? name !== undefined),
    contextLength: contextLength ?? family?.contextLength ?? DEFAULT_CONTEXT_LENGTH,
    countText,
    countRecord(record) {
      if (!isChatRecord(record)) return countText(record.text);
      let tokens = TOKENS_PER_REPLY;
      for (const message of record.messages) tokens += TOKENS_PER_MESSAGE + countText(message.content);
      return tokens;
    },
  };
}
