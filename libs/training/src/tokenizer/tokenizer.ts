/**
 * Byte-level tokenizer: ids 0–255 are the bytes, then the special tokens, then
 * one id per learned BPE merge. With no merges it is the plain byte tokenizer.
 * Every token is a byte string, so any text round-trips and the vocabulary maps
 * one-to-one onto llama.cpp's GPT-2 style byte-level BPE vocabulary.
 */

export const SPECIAL_TOKENS = ['<|bos|>', '<|eos|>', '<|system|>', '<|user|>', '<|assistant|>'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];
export type ChatRole = 'system' | 'user' | 'assistant';

export interface TokenizerJson {
  kind: 'byte-bpe';
  specials: string[];
  /** Merge i makes token `256 + specials.length + i` from the pair of ids. */
  merges: [number, number][];
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** Loss weight of this message's tokens; assistant messages default to 1, others are never trained on. */
  weight?: number;
}

export interface WeightedTokens {
  ids: number[];
  /** Loss weight of predicting `ids[i]` (from the tokens before it). */
  weights: number[];
}

const BYTES = 256;
const PAIR_KEY = 1 << 20;

export class Tokenizer {
  readonly specials: readonly string[];
  readonly merges: readonly (readonly [number, number])[];
  private readonly ranks = new Map<number, number>();
  private readonly bytesOf: Uint8Array[] = [];

  constructor(json: TokenizerJson = { kind: 'byte-bpe', specials: [...SPECIAL_TOKENS], merges: [] }) {
    this.specials = [...json.specials];
    this.merges = json.merges.map(([a, b]) => [a, b] as const);
    for (let b = 0; b < BYTES; b++) this.bytesOf.push(Uint8Array.of(b));
    for (const s of this.specials) this.bytesOf.push(new TextEncoder().encode(s));
    this.merges.forEach(([a, b], i) => {
      if (a >= this.bytesOf.length || b >= this.bytesOf.length || this.isSpecial(a) || this.isSpecial(b)) {
        throw new Error(`merge ${i} (${a}, ${b}) refers to a token that is not a byte string defined before it`);
      }
      this.ranks.set(a * PAIR_KEY + b, i);
      const joined = new Uint8Array(this.bytesOf[a].length + this.bytesOf[b].length);
      joined.set(this.bytesOf[a]);
      joined.set(this.bytesOf[b], this.bytesOf[a].length);
      this.bytesOf.push(joined);
    });
  }

  static fromJSON(json: TokenizerJson): Tokenizer {
    if (json.kind !== 'byte-bpe') throw new Error(`unknown tokenizer kind "${json.kind}"`);
    return new Tokenizer(json);
  }

  toJSON(): TokenizerJson {
    return { kind: 'byte-bpe', specials: [...this.specials], merges: this.merges.map(([a, b]) => [a, b]) };
  }

  get vocabSize(): number {
    return this.bytesOf.length;
  }

  get bosId(): number {
    return this.specialId('<|bos|>');
  }

  get eosId(): number {
    return this.specialId('<|eos|>');
  }

  specialId(token: SpecialToken): number {
    const i = this.specials.indexOf(token);
    if (i < 0) throw new Error(`the tokenizer has no special token ${token}`);
    return BYTES + i;
  }

  isSpecial(id: number): boolean {
    return id >= BYTES && id < BYTES + this.specials.length;
  }

  /** The bytes a token stands for (a special token's are its text). */
  tokenBytes(id: number): Uint8Array {
    const bytes = this.bytesOf[id];
    if (!bytes) throw new Error(`token id ${id} is outside the vocabulary of ${this.vocabSize}`);
    return bytes;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const chunk of splitChunks(new TextEncoder().encode(text))) this.encodeChunk(chunk, out);
    return out;
  }

  decode(ids: readonly number[], { skipSpecial = true }: { skipSpecial?: boolean } = {}): string {
    const parts = ids.filter((id) => !(skipSpecial && this.isSpecial(id))).map((id) => this.tokenBytes(id));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return new TextDecoder().decode(all);
  }

  /** Plain language modelling: every token after BOS is trained on with weight 1. */
  encodeText(text: string): WeightedTokens {
    const ids = [this.bosId, ...this.encode(text), this.eosId];
    return { ids, weights: ids.map((_, i) => (i === 0 ? 0 : 1)) };
  }

  /**
   * A chat as `BOS (<|role|> content EOS)*`. Only assistant content and the EOS
   * that ends it carry loss, scaled by the message's weight.
   */
  encodeChat(messages: readonly ChatMessage[]): WeightedTokens {
    const ids = [this.bosId];
    const weights = [0];
    for (const m of messages) {
      const w = m.role === 'assistant' ? (m.weight ?? 1) : 0;
      ids.push(this.specialId(`<|${m.role}|>`));
      weights.push(0);
      for (const id of [...this.encode(m.content), this.eosId]) {
        ids.push(id);
        weights.push(w);
      }
    }
    return { ids, weights };
  }

  private encodeChunk(chunk: Uint8Array, out: number[]): void {
    let parts = Array.from(chunk);
    if (this.ranks.size === 0) {
      out.push(...parts);
      return;
    }
    // Apply the lowest-ranked merge present until none applies, as the merges were learned.
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(parts[i] * PAIR_KEY + parts[i + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const merged = BYTES + this.specials.length + bestRank;
      const [a, b] = this.merges[bestRank];
      const next: number[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(parts[i]);
      }
      parts = next;
    }
    out.push(...parts);
  }
}

/**
 * Splits UTF-8 bytes into chunks that merges never cross: a word with at most
 * one leading space, or a run of other whitespace. Keeps merges word-like and
 * encoding linear in the number of chunks.
 */
export function splitChunks(bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    if (isSpace(bytes[i]) && !(bytes[i] === 0x20 && i + 1 < bytes.length && !isSpace(bytes[i + 1]))) {
      while (i < bytes.length && isSpace(bytes[i]) && !(bytes[i] === 0x20 && i + 1 < bytes.length && !isSpace(bytes[i + 1]))) i++;
    } else {
      if (bytes[i] === 0x20) i++;
      while (i < bytes.length && !isSpace(bytes[i])) i++;
    }
    chunks.push(bytes.subarray(start, i));
    start = i;
  }
  return chunks;
}
