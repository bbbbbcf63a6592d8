import { SPECIAL_TOKENS, Tokenizer, splitChunks } from './tokenizer';

export interface TrainBpeOptions {
  /** Total vocabulary: 256 bytes + special tokens + merges. */
  vocabSize: number;
  specials?: readonly string[];
  /** Pairs seen fewer times than this are not merged, so small corpora stop early. */
  minPairCount?: number;
  /** Called after each merge: training is synchronous and can be long, and a caller may need to show it is alive. */
  onMerge?: (merges: number) => void;
}

/**
 * Learns byte-level BPE merges from texts. Deterministic: the most frequent
 * pair wins, ties go to the smallest (left, right) ids.
 */
export function trainBpe(texts: Iterable<string>, { vocabSize, specials = SPECIAL_TOKENS, minPairCount = 2, onMerge }: TrainBpeOptions): Tokenizer {
  const base = 256 + specials.length;
  if (vocabSize < base) throw new Error(`vocabSize ${vocabSize} is below the ${base} byte and special tokens`);

  const counts = new Map<string, number>();
  const encoder = new TextEncoder();
  for (const text of texts) {
    for (const chunk of splitChunks(encoder.encode(text))) {
      const key = chunk.join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const words = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, count]) => ({ parts: key.split(',').map(Number), count }));

  const merges: [number, number][] = [];
  while (base + merges.length < vocabSize) {
    const pairs = new Map<number, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.parts.length; i++) {
        const key = w.parts[i] * 65536 + w.parts[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of pairs) {
      if (count > bestCount || (count === bestCount && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0 || bestCount < minPairCount) break;
    const a = Math.floor(bestKey / 65536);
    const b = bestKey % 65536;
    const id = base + merges.length;
    merges.push([a, b]);
    for (const w of words) {
      if (w.parts.length < 2) continue;
      const next: number[] = [];
      for (let i = 0; i < w.parts.length; i++) {
        if (i + 1 < w.parts.length && w.parts[i] === a && w.parts[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(w.parts[i]);
      }
      w.parts = next;
    }
    onMerge?.(merges.length);
  }
  return new Tokenizer({ kind: 'byte-bpe', specials: [...specials], merges });
}
