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

function grown(counts: Uint32Array, id: number): Uint32Array {
  const larger = new Uint32Array(Math.max(counts.length * 2, id + 1));
  larger.set(counts);
  return larger;
}

export interface HashingEmbedderOptions {
  dimension: number;
  /** Weights of the feature families; words matter most, character n-grams catch inflections and typos. */
  weights?: { word: number; bigram: number; char: number };
  /** Distinct words, n-grams and bigrams remembered at most before the memory starts over (default 500,000). */
  rememberedFeatures?: number;
}


/**
 * Needs no model: words, word bigrams and character 3/4-grams hashed into
 * `dimension` signed buckets (the sign from a second hash keeps collisions
 * from adding up), each weighted by 1 + ln(tf), then L2-normalised. Same
 * text, same vector, on every machine.
 *
 * Words repeat across chunks, so each word's features, and each bigram,
 * are hashed once and remembered as small integers; a text then costs a
 * lookup per word instead of building and hashing a dozen strings.
 */
export function createHashingEmbedder({
  dimension,
  weights = { word: 1, bigram: 0.6, char: 0.3 },
  rememberedFeatures = 500_000,
}: HashingEmbedderOptions): Embedder {
  if (!Number.isInteger(dimension) || dimension < 2) throw new RangeError(`dimension must be an integer of at least 2, got ${dimension}`);

  /** Per feature id: its bucket, and its sign times its family's weight. */
  let buckets: number[] = [];
  let signedWeights: number[] = [];
  /** A feature string (`w:`, `c:` or `b:` and its text) to its id. */
  let ids = new Map<string, number>();
  /** A word to its id (that of its `w:` feature) and the ids of its character n-grams in order. */
  let words = new Map<string, { id: number; grams: number[] }>();
  /** Two word ids to their bigram's id. */
  let bigrams = new Map<number, number>();
  /** Per feature id, its count in the text being embedded; all zero between texts. */
  let counts: Uint32Array = new Uint32Array(1024);

  function featureId(feature: string): number {
    let id = ids.get(feature);
    if (id === undefined) {
      id = buckets.length;
      const family = feature[0] === 'w' ? weights.word : feature[0] === 'b' ? weights.bigram : weights.char;
      buckets.push(fnv1a(feature, 0x811c9dc5) % dimension);
      signedWeights.push((fnv1a(feature, 0x9747b28c) & 1 ? 1 : -1) * family);
      ids.set(feature, id);
    }
    return id;
  }

  function wordOf(word: string): { id: number; grams: number[] } {
    let entry = words.get(word);
    if (!entry) {
      const grams: number[] = [];
      const padded = `<${word}>`;
      for (const n of [3, 4]) {
        for (let j = 0; j + n <= padded.length; j++) grams.push(featureId(`c:${padded.slice(j, j + n)}`));
      }
      entry = { id: featureId(`w:${word}`), grams };
      words.set(word, entry);
    }
    return entry;
  }

  function bigramOf(previous: string, previousId: number, word: string, wordId: number): number {
    // Feature ids stay below the limit plus one text's worth, far under 2^26: the pair fits a double exactly.
    const key = previousId * 0x4000000 + wordId;
    let id = bigrams.get(key);
    if (id === undefined) {
      id = featureId(`b:${previous} ${word}`);
      bigrams.set(key, id);
    }
    return id;
  }

  function vectorOf(text: string): number[] {
    if (buckets.length > rememberedFeatures) {
      buckets = [];
      signedWeights = [];
      ids = new Map();
      words = new Map();
      bigrams = new Map();
      counts = new Uint32Array(1024);
    }
    // Term frequencies by feature id, and the ids in the order they first
    // appear, the order their weights are summed in.
    const seen: number[] = [];
    const add = (id: number) => {
      if (id >= counts.length) counts = grown(counts, id);
      if (counts[id]++ === 0) seen.push(id);
    };
    const tokens = (text.normalize('NFKC').toLowerCase().match(WORD) ?? []).filter((w) => !STOPWORDS.has(w));
    let previous = '';
    let previousId = 0;
    for (let i = 0; i < tokens.length; i++) {
      const word = tokens[i];
      const entry = wordOf(word);
      add(entry.id);
      if (i > 0) add(bigramOf(previous, previousId, word, entry.id));
      for (const gram of entry.grams) add(gram);
      previous = word;
      previousId = entry.id;
    }
    const vector = new Float64Array(dimension);
    for (const id of seen) {
      vector[buckets[id]] += signedWeights[id] * (1 + Math.log(counts[id]));
      counts[id] = 0;
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
