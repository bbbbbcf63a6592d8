/**
 * MinHash signatures and locality-sensitive hashing for near-duplicate
 * detection.
 *
 * Shingles are character n-grams of the normalized text (5 by default).
 * Fine-tuning examples are short (a few hundred characters): word 5-grams of
 * a 40-word answer give ~36 shingles, and one changed word removes five of
 * them, so word shingles make the Jaccard of near-identical short texts fall
 * well below 0.8; character 5-grams keep a one-word edit at ~0.9.
 *
 * Signatures are computed by one-permutation hashing with optimal
 * densification (Li, Owen & Zhang 2012; Shrivastava 2017): one hash per
 * shingle, spread over `permutations` bins, instead of `permutations` hashes
 * per shingle. It estimates Jaccard like classic MinHash at a fraction of the
 * cost; `method: 'classic'` computes the k independent minima for comparison.
 */
export interface MinHashOptions {
  /** Characters per shingle. */
  shingleSize?: number;
  /** Signature length (bins for one-permutation hashing, hash functions for classic). */
  permutations?: number;
  method?: 'one-permutation' | 'classic';
  seed?: number;
}

export const MINHASH_DEFAULTS = { shingleSize: 5, permutations: 128, method: 'one-permutation', seed: 0x5eed } as const;

/** murmur3's 32-bit finalizer: a cheap, well-mixing bijection on 32-bit integers. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const BASE = 0x01000193;

/**
 * Calls `visit` with a 32-bit hash of every character n-gram of `text`
 * (a polynomial rolling hash, whitened); a text shorter than n is one shingle.
 */
export function forEachShingle(text: string, size: number, seed: number, visit: (hash: number) => void): void {
  const n = text.length;
  if (n === 0) return;
  const width = Math.min(size, n);
  let power = 1;
  for (let i = 1; i < width; i++) power = Math.imul(power, BASE);
  let h = 0;
  for (let i = 0; i < width; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  visit(fmix32(h ^ seed));
  for (let i = width; i < n; i++) {
    h = (Math.imul(h - Math.imul(text.charCodeAt(i - width), power), BASE) + text.charCodeAt(i)) | 0;
    visit(fmix32(h ^ seed));
  }
}

/** The distinct shingle hashes of a text, sorted: what exact Jaccard is computed on. */
export function shingleSet(text: string, size: number = MINHASH_DEFAULTS.shingleSize, seed: number = MINHASH_DEFAULTS.seed): Uint32Array {
  const n = text.length;
  if (n === 0) return new Uint32Array(0);
  const width = Math.min(size, n);
  // The loop of forEachShingle, writing straight into the typed array: this runs for every candidate that passes the estimate.
  const sorted = new Uint32Array(n - width + 1);
  let power = 1;
  for (let i = 1; i < width; i++) power = Math.imul(power, BASE);
  let h = 0;
  for (let i = 0; i < width; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  sorted[0] = fmix32(h ^ seed);
  for (let i = width; i < n; i++) {
    h = (Math.imul(h - Math.imul(text.charCodeAt(i - width), power), BASE) + text.charCodeAt(i)) | 0;
    sorted[i - width + 1] = fmix32(h ^ seed);
  }
  sorted.sort();
  let unique = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[unique++] = sorted[i];
  return sorted.subarray(0, unique);
}

/** Exact Jaccard similarity of two sorted shingle sets. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return common / (a.length + b.length - common);
}

export interface MinHasher {
  readonly permutations: number;
  readonly shingleSize: number;
  /** The signature of an already normalized text; null for an empty text, which has no shingles. */
  signature(text: string): Uint32Array | null;
}

const EMPTY = 0xffffffff;

export function createMinHasher(options: MinHashOptions = {}): MinHasher {
  const { shingleSize, permutations, method, seed } = { ...MINHASH_DEFAULTS, ...options };
  if (!Number.isInteger(shingleSize) || shingleSize < 1) throw new Error(`shingleSize must be a positive integer, got ${shingleSize}`);
  if (!Number.isInteger(permutations) || permutations < 1) throw new Error(`permutations must be a positive integer, got ${permutations}`);
  const k = permutations;

  if (method === 'classic') {
    // k hash functions as k independent seeds of the same mixer.
    const seeds = Uint32Array.from({ length: k }, (_, i) => fmix32(seed + Math.imul(i + 1, 0x9e3779b9)));
    return {
      permutations: k,
      shingleSize,
      signature(text) {
        if (!text) return null;
        const sig = new Uint32Array(k).fill(EMPTY);
        forEachShingle(text, shingleSize, seed, (h) => {
          for (let i = 0; i < k; i++) {
            const v = fmix32(h ^ seeds[i]);
            if (v < sig[i]) sig[i] = v;
          }
        });
        return sig;
      },
    };
  }

  // Densification probes depend only on the bin and the attempt, never on the text: equal for every signature.
  const probe = (bin: number, attempt: number) => fmix32(Math.imul(bin + 1, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca77) ^ seed) % k;
  const toBin = k / 4294967296;
  const filled = new Uint8Array(k);
  return {
    permutations: k,
    shingleSize,
    signature(text) {
      if (!text) return null;
      const sig = new Uint32Array(k).fill(EMPTY);
      filled.fill(0);
      // The shingle loop of forEachShingle, inlined: this is the hot path of near-duplicate detection.
      const n = text.length;
      const width = Math.min(shingleSize, n);
      let power = 1;
      for (let i = 1; i < width; i++) power = Math.imul(power, BASE);
      let h = 0;
      for (let i = 0; i < width - 1; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
      for (let i = width - 1; i < n; i++) {
        if (i >= width) h = (h - Math.imul(text.charCodeAt(i - width), power)) | 0;
        h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
        const shingle = fmix32(h ^ seed);
        const bin = (shingle * toBin) | 0;
        // Within a bin the high bits are shared: rank by a second mix so the minimum is a fresh random choice.
        const v = fmix32(shingle ^ 0x27d4eb2f);
        if (v < sig[bin] || !filled[bin]) sig[bin] = v;
        filled[bin] = 1;
      }
      for (let bin = 0; bin < k; bin++) {
        if (filled[bin]) continue;
        for (let attempt = 1; ; attempt++) {
          const from = probe(bin, attempt);
          if (filled[from]) {
            sig[bin] = sig[from];
            break;
          }
        }
      }
      return sig;
    },
  };
}

/** The fraction of equal slots: an unbiased estimate of the Jaccard similarity of the two shingle sets. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array, bOffset = 0): number {
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[bOffset + i]) equal++;
  return equal / a.length;
}

/** Probability that LSH with `bands` × `rows` makes a pair of Jaccard `s` a candidate: 1 − (1 − sʳ)ᵇ. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - (1 - s ** rows) ** bands;
}

/**
 * Bands and rows for a threshold: the most rows per band (fewest false
 * candidates) that still make a pair right at the threshold a candidate with
 * probability `recall`. Candidates are confirmed on the exact Jaccard of
 * their shingle sets, so the S-curve must sit well below the threshold for
 * pairs just above it to be found at all: with 128 permutations and 0.8 this
 * gives 21 × 6 (S-curve midpoint ≈ 0.60, P(candidate | J = 0.8) ≈ 0.998).
 */
export function chooseBands(permutations: number, threshold: number, recall = 0.99): { bands: number; rows: number } {
  for (let rows = permutations; rows >= 1; rows--) {
    const bands = Math.floor(permutations / rows);
    if (candidateProbability(threshold, bands, rows) >= recall) return { bands, rows };
  }
  return { bands: permutations, rows: 1 };
}

/**
 * Signatures kept in one growing typed array, and for each band an
 * open-addressing table from the band's hash to a chain of signature ids:
 * about 0.6 KB per record at 128 permutations, with no per-entry objects.
 */
export interface LshIndex {
  readonly size: number;
  /** Stores a signature and returns its id (0, 1, 2, …). */
  add(signature: Uint32Array): number;
  /** Ids sharing at least one band with the signature, each once. */
  candidates(signature: Uint32Array): number[];
  /** Estimated Jaccard between a signature and a stored one. */
  similarity(signature: Uint32Array, id: number): number;
}

export function createLshIndex({ permutations, bands, rows }: { permutations: number; bands: number; rows: number }): LshIndex {
  if (bands * rows > permutations) throw new Error(`bands × rows (${bands} × ${rows}) exceeds the ${permutations} permutations`);
  let signatures = new Uint32Array(permutations * 1024);
  let count = 0;
  // One table for all bands: the key mixes in the band number.
  let capacity = 1 << 12;
  let keys = new Uint32Array(capacity);
  let heads = new Int32Array(capacity).fill(-1);
  let used = 0;
  let entryIds = new Int32Array(1024);
  let entryNext = new Int32Array(1024);
  let entries = 0;
  let seenMark = new Int32Array(1024).fill(-1);
  let query = 0;

  const bandKey = (sig: Uint32Array, band: number) => {
    let h = Math.imul(band + 1, 0x9e3779b1);
    for (let r = band * rows, end = r + rows; r < end; r++) h = Math.imul(h ^ sig[r], BASE) ^ (h >>> 15);
    return fmix32(h);
  };
  const slotOf = (key: number) => {
    const mask = capacity - 1;
    let slot = key & mask;
    while (heads[slot] !== -1 && keys[slot] !== key) slot = (slot + 1) & mask;
    return slot;
  };
  const grow = () => {
    const oldKeys = keys;
    const oldHeads = heads;
    capacity *= 2;
    keys = new Uint32Array(capacity);
    heads = new Int32Array(capacity).fill(-1);
    for (let i = 0; i < oldHeads.length; i++) {
      if (oldHeads[i] === -1) continue;
      const slot = slotOf(oldKeys[i]);
      keys[slot] = oldKeys[i];
      heads[slot] = oldHeads[i];
    }
  };
  const growInt32 = (array: Int32Array, fill?: number) => {
    const bigger = new Int32Array(array.length * 2);
    if (fill !== undefined) bigger.fill(fill, array.length);
    bigger.set(array);
    return bigger;
  };

  return {
    get size() {
      return count;
    },
    add(signature) {
      if ((count + 1) * permutations > signatures.length) {
        const bigger = new Uint32Array(signatures.length * 2);
        bigger.set(signatures);
        signatures = bigger;
      }
      const id = count++;
      signatures.set(signature, id * permutations);
      for (let band = 0; band < bands; band++) {
        if ((used + 1) * 2 > capacity) grow();
        const key = bandKey(signature, band);
        const slot = slotOf(key);
        if (heads[slot] === -1) {
          used++;
          keys[slot] = key;
        }
        if (entries === entryIds.length) {
          entryIds = growInt32(entryIds);
          entryNext = growInt32(entryNext);
        }
        entryIds[entries] = id;
        entryNext[entries] = heads[slot];
        heads[slot] = entries++;
      }
      if (count > seenMark.length) seenMark = growInt32(seenMark, -1);
      return id;
    },
    candidates(signature) {
      const found: number[] = [];
      query++;
      for (let band = 0; band < bands; band++) {
        for (let entry = heads[slotOf(bandKey(signature, band))]; entry !== -1; entry = entryNext[entry]) {
          const id = entryIds[entry];
          if (seenMark[id] === query) continue;
          seenMark[id] = query;
          found.push(id);
        }
      }
      return found;
    },
    similarity(signature, id) {
      return estimateJaccard(signature, signatures, id * permutations);
    },
  };
}
