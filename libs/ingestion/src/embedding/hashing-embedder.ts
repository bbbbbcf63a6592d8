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

/** A remembered word: its `w:` feature id (or -1 for a stopword) and its character n-grams' ids in order. */
interface Word {
  text: string;
  hash: number;
  id: number;
  grams: number[];
  /** The id of the bigram of this word and the next, by the next word's id. */
  next: Map<number, number>;
}

const NO_WORD = -1;
const STOPWORD = -1;

/** Whether a UTF-16 code unit is an ASCII letter or digit, the only word characters of an ASCII text. */
function asciiWordChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
}

/** 1 + ln(tf) for the common term frequencies, the same doubles `Math.log` gives. */
const TF_WEIGHTS = Float64Array.from({ length: 64 }, (_, tf) => 1 + Math.log(tf));

const NOT_ASCII = /[\u0080-\uffff]/;

/**
 * Needs no model: words, word bigrams and character 3/4-grams hashed into
 * `dimension` signed buckets (the sign from a second hash keeps collisions
 * from adding up), each weighted by 1 + ln(tf), then L2-normalised. Same
 * text, same vector, on every machine.
 *
 * Words repeat across chunks, so each word's features, and each bigram,
 * are hashed once and remembered as small integers. An ASCII text (where
 * NFKC and lower-casing change nothing but letter case) is read in place:
 * each word is found in the remembered ones by its characters, so a text
 * costs a lookup per word and no string is built for a word seen before.
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
  /** Remembered words, found through `slots`: an open-addressing table of indexes into `words` by hash. */
  let words: Word[] = [];
  let slots = new Int32Array(1 << 12).fill(NO_WORD);
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

  function remember(text: string, hash: number, slot: number): Word {
    const word: Word = { text, hash, id: STOPWORD, grams: [], next: new Map() };
    if (!STOPWORDS.has(text)) {
      const padded = `<${text}>`;
      for (const n of [3, 4]) {
        for (let j = 0; j + n <= padded.length; j++) word.grams.push(featureId(`c:${padded.slice(j, j + n)}`));
      }
      word.id = featureId(`w:${text}`);
    }
    slots[slot] = words.length;
    words.push(word);
    if (words.length * 2 > slots.length) {
      slots = new Int32Array(slots.length * 2).fill(NO_WORD);
      const mask = slots.length - 1;
      words.forEach((w, index) => {
        let at = w.hash & mask;
        while (slots[at] !== NO_WORD) at = (at + 1) & mask;
        slots[at] = index;
      });
    }
    return word;
  }

  /** The word spelled by `text`'s characters from `start` to `end`, lower-cased as they are read (ASCII only). */
  function asciiWord(text: string, start: number, end: number): Word {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      hash = Math.imul(hash ^ (code <= 90 && code >= 65 ? code + 32 : code), 0x01000193);
    }
    const mask = slots.length - 1;
    const length = end - start;
    let at = hash & mask;
    for (let index = slots[at]; index !== NO_WORD; index = slots[(at = (at + 1) & mask)]) {
      const word = words[index];
      if (word.hash !== hash || word.text.length !== length) continue;
      let same = true;
      for (let i = 0; i < length && same; i++) {
        const code = text.charCodeAt(start + i);
        same = word.text.charCodeAt(i) === (code <= 90 && code >= 65 ? code + 32 : code);
      }
      if (same) return word;
    }
    return remember(text.slice(start, end).toLowerCase(), hash, at);
  }

  /** The word `text` (already normalised and lower-cased). */
  function wordOf(text: string): Word {
    const hash = fnv1a(text, 0x811c9dc5) | 0;
    const mask = slots.length - 1;
    let at = hash & mask;
    for (let index = slots[at]; index !== NO_WORD; index = slots[(at = (at + 1) & mask)]) {
      if (words[index].text === text) return words[index];
    }
    return remember(text, hash, at);
  }

  function bigramOf(previous: Word, word: Word): number {
    let id = previous.next.get(word.id);
    if (id === undefined) {
      id = featureId(`b:${previous.text} ${word.text}`);
      previous.next.set(word.id, id);
    }
    return id;
  }

  function vectorOf(text: string): number[] {
    if (buckets.length > rememberedFeatures) {
      buckets = [];
      signedWeights = [];
      ids = new Map();
      words = [];
      slots = new Int32Array(1 << 12).fill(NO_WORD);
      counts = new Uint32Array(1024);
    }
    // Term frequencies by feature id, and the ids in the order they first
    // appear, the order their weights are summed in.
    const seen: number[] = [];
    let previous: Word | undefined;
    const take = (word: Word) => {
      if (word.id === STOPWORD) return;
      // Every id below is already in `buckets`; `counts` grows to hold them all first.
      if (buckets.length > counts.length) counts = grown(counts, buckets.length);
      if (counts[word.id]++ === 0) seen.push(word.id);
      if (previous) {
        const bigram = bigramOf(previous, word);
        if (bigram >= counts.length) counts = grown(counts, bigram);
        if (counts[bigram]++ === 0) seen.push(bigram);
      }
      const grams = word.grams;
      for (let i = 0; i < grams.length; i++) if (counts[grams[i]]++ === 0) seen.push(grams[i]);
      previous = word;
    };
    if (NOT_ASCII.test(text)) {
      for (const word of text.normalize('NFKC').toLowerCase().match(WORD) ?? []) take(wordOf(word));
    } else {
      for (let i = 0; i < text.length; ) {
        if (!asciiWordChar(text.charCodeAt(i))) {
          i++;
          continue;
        }
        const start = i;
        while (i < text.length && asciiWordChar(text.charCodeAt(i))) i++;
        take(asciiWord(text, start, i));
      }
    }
    const vector = new Float64Array(dimension);
    for (const id of seen) {
      const tf = counts[id];
      vector[buckets[id]] += signedWeights[id] * (tf < TF_WEIGHTS.length ? TF_WEIGHTS[tf] : 1 + Math.log(tf));
      counts[id] = 0;
    }
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm);
    // No words at all: a fixed unit vector, since a zero vector has no cosine.
    if (norm === 0) vector[0] = norm = 1;
    const unit = new Array<number>(dimension);
    for (let i = 0; i < dimension; i++) unit[i] = vector[i] / norm;
    return unit;
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
