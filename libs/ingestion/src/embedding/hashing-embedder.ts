import type { Embedder } from './embedder';

export const HASHING_EMBEDDER = 'hashing-ngram-v1';

const STOPWORDS = new Set(
  ('a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our she so ' +
    'than that the their them then there these they this to was we were what when where which who will with you your do does can')
    .split(' '),
);
const WORD = /[\p{L}\p{N}]+/gu;

function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface HashingEmbedderOptions {
  dimension: number;
  /** Weights of the feature families; words matter most, character n-grams catch inflections and typos. */
  weights?: { word: number; bigram: number; char: number };
}

/**
 * Needs no model: words, word bigrams and character 3/4-grams hashed into
 * `dimension` signed buckets (the sign from a second hash keeps collisions
 * from adding up), each weighted by 1 + ln(tf), then L2-normalised. Same
 * text, same vector, on every machine.
 */
export function createHashingEmbedder({ dimension, weights = { word: 1, bigram: 0.6, char: 0.3 } }: HashingEmbedderOptions): Embedder {
  if (!Number.isInteger(dimension) || dimension < 2) throw new RangeError(`dimension must be an integer of at least 2, got ${dimension}`);

  function features(text: string): Map<string, number> {
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
    const words = (text.normalize('NFKC').toLowerCase().match(WORD) ?? []).filter((w) => !STOPWORDS.has(w));
    for (let i = 0; i < words.length; i++) {
      const word = words[i];
      add(`w:${word}`, 1);
      if (i > 0) add(`b:${words[i - 1]} ${word}`, 1);
      const padded = `<${word}>`;
      for (const n of [3, 4]) {
        for (let j = 0; j + n <= padded.length; j++) add(`c:${padded.slice(j, j + n)}`, 1);
      }
    }
    return counts;
  }

  function vectorOf(text: string): number[] {
    const vector = new Float64Array(dimension);
    for (const [feature, tf] of features(text)) {
      const family = feature[0] === 'w' ? weights.word : feature[0] === 'b' ? weights.bigram : weights.char;
      const bucket = fnv1a(feature, 0x811c9dc5) % dimension;
      const sign = fnv1a(feature, 0x9747b28c) & 1 ? 1 : -1;
      vector[bucket] += sign * family * (1 + Math.log(tf));
    }
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm);
    // No words at all: a fixed unit vector, since a zero vector has no cosine.
    if (norm === 0) vector[0] = norm = 1;
    return Array.from(vector, (v) => v / norm);
  }

  return {
    name: HASHING_EMBEDDER,
    dimension,
    async embed(texts, { signal } = {}) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i++) {
        // Long batches stay cancellable.
        if (i % 256 === 0) signal?.throwIfAborted();
        out.push(vectorOf(texts[i]));
      }
      return out;
    },
  };
}
