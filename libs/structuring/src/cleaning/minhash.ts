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
  // Bins still empty are marked by generation, so no per-signature clearing is needed.
  const filled = new Uint32Array(k);
  let generation = 0;
  let power = 1;
  for (let i = 1; i < shingleSize; i++) power = Math.imul(power, BASE);
  return {
    permutations: k,
    shingleSize,
    signature(text) {
      if (!text) return null;
      const sig = new Uint32Array(k);
      if (++generation === 0xffffffff) {
        filled.fill(0);
        generation = 1;
      }
      const mark = generation;
      // The shingle loop of forEachShingle, inlined: this is the hot path of near-duplicate detection.
      const n = text.length;
      const width = n < shingleSize ? n : shingleSize;
      let h = 0;
      for (let i = 0; i < width - 1; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
      let empty = k;
      for (let i = width - 1; i < n; i++) {
        if (i >= width) h = (h - Math.imul(text.charCodeAt(i - width), power)) | 0;
        h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
        // One mix per shingle: the bin is taken from the high bits, and within a bin the whole mixed value ranks
        // shingles (its low bits are independent of the bin), as one-permutation hashing prescribes.
        const shingle = fmix32(h ^ seed);
        const bin = (shingle * toBin) | 0;
        if (filled[bin] !== mark) {
          filled[bin] = mark;
          sig[bin] = shingle;
          empty--;
        } else if (shingle < sig[bin]) sig[bin] = shingle;
      }
      if (empty > 0) {
        for (let bin = 0; bin < k; bin++) {
          if (filled[bin] === mark) continue;
          for (let attempt = 1; ; attempt++) {
            const from = probe(bin, attempt);
            if (filled[from] === mark) {
              sig[bin] = sig[from];
              break;
            }
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
  /** Lookups that met a band value shared by more than `maxBucketScan` records and read only its most recent ones. */
  readonly cappedLookups: number;
  /** Stores a signature and returns its id (0, 1, 2, …). */
  add(signature: Uint32Array): number;
  /** Ids sharing at least one band with the signature, each once (at most `maxBucketScan` per band, the most recent). */
  candidates(signature: Uint32Array): number[];
  /** Estimated Jaccard between a signature and a stored one. */
  similarity(signature: Uint32Array, id: number): number;
}

/**
 * Records proposed per band value at most. Templated text (forms, logs, generated questions) puts
 * thousands of records into the same band buckets; reading every one of them made each lookup
 * linear in the data and a whole pass quadratic. A band value that many records share says
 * little about any of them, and a true near-duplicate shares about five of 21 bands with its
 * original, so it is still found through the others or through the bucket's most recent entries.
 */
export const LSH_MAX_BUCKET_SCAN = 16;

export function createLshIndex({ permutations, bands, rows, maxBucketScan = LSH_MAX_BUCKET_SCAN }: { permutations: number; bands: number; rows: number; maxBucketScan?: number }): LshIndex {
  if (bands * rows > permutations) throw new Error(`bands × rows (${bands} × ${rows}) exceeds the ${permutations} permutations`);
  if (!Number.isInteger(maxBucketScan) || maxBucketScan < 1) throw new Error(`maxBucketScan must be a positive integer, got ${maxBucketScan}`);
  let signatures = new Uint32Array(permutations * 1024);
  let count = 0;
  // One table for all bands (the key mixes in the band number), a slot being two adjacent numbers, the key and the
  // head of its chain, so a lookup touches one cache line. Slots are taken from the key's high bits: doubling the
  // table then moves every key to about twice its old slot, so rehashing streams through memory in order instead
  // of jumping around it, which is what dominated adding to a table of millions of band keys.
  let bits = 12;
  let table = new Int32Array(2 << bits).fill(-1);
  let used = 0;
  let entryIds = new Int32Array(1024);
  let entryNext = new Int32Array(1024);
  let entries = 0;
  let seenMark = new Int32Array(1024).fill(-1);
  let query = 0;
  let cappedLookups = 0;
  const keys = new Int32Array(bands);

  const bandKey = (sig: Uint32Array, band: number) => {
    let h = Math.imul(band + 1, 0x9e3779b1);
    for (let r = band * rows, end = r + rows; r < end; r++) h = Math.imul(h ^ sig[r], BASE) ^ (h >>> 15);
    return fmix32(h) | 0;
  };
  const keysOf = (sig: Uint32Array) => {
    for (let band = 0; band < bands; band++) keys[band] = bandKey(sig, band);
    return keys;
  };
  /** The slot (an even index into the table) holding `key`, or the empty one where it belongs. */
  const slotOf = (key: number) => {
    const mask = (2 << bits) - 1;
    let slot = (key >>> (32 - bits)) << 1;
    while (table[slot + 1] !== -1 && table[slot] !== key) slot = (slot + 2) & mask;
    return slot;
  };
  const grow = () => {
    const old = table;
    bits++;
    table = new Int32Array(2 << bits).fill(-1);
    // Keys whose probe run wrapped past the end sit at the start of the old table: placing them last keeps
    // every run in slot order.
    let wrapped = 0;
    while (old[wrapped + 1] !== -1 && (old[wrapped] >>> (32 - bits + 1)) << 1 > wrapped) wrapped += 2;
    const place = (i: number) => {
      if (old[i + 1] === -1) return;
      const slot = slotOf(old[i]);
      table[slot] = old[i];
      table[slot + 1] = old[i + 1];
    };
    for (let i = wrapped; i < old.length; i += 2) place(i);
    for (let i = 0; i < wrapped; i += 2) place(i);
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
    get cappedLookups() {
      return cappedLookups;
    },
    add(signature) {
      if ((count + 1) * permutations > signatures.length) {
        const bigger = new Uint32Array(signatures.length * 2);
        bigger.set(signatures);
        signatures = bigger;
      }
      const id = count++;
      signatures.set(signature, id * permutations);
      keysOf(signature);
      while ((used + bands) * 2 > 1 << bits) grow();
      while (entries + bands > entryIds.length) {
        entryIds = growInt32(entryIds);
        entryNext = growInt32(entryNext);
      }
      for (let band = 0; band < bands; band++) {
        const key = keys[band];
        const slot = slotOf(key);
        if (table[slot + 1] === -1) {
          used++;
          table[slot] = key;
        }
        entryIds[entries] = id;
        entryNext[entries] = table[slot + 1];
        table[slot + 1] = entries++;
      }
      if (count > seenMark.length) seenMark = growInt32(seenMark, -1);
      return id;
    },
    candidates(signature) {
      const found: number[] = [];
      query++;
      keysOf(signature);
      let capped = false;
      for (let band = 0; band < bands; band++) {
        let scanned = 0;
        for (let entry = table[slotOf(keys[band]) + 1]; entry !== -1; entry = entryNext[entry]) {
          if (scanned++ === maxBucketScan) {
            capped = true;
            break;
          }
          const id = entryIds[entry];
          if (seenMark[id] === query) continue;
          seenMark[id] = query;
          found.push(id);
        }
      }
      if (capped) cappedLookups++;
      return found;
    },
    similarity(signature, id) {
      return estimateJaccard(signature, signatures, id * permutations);
    },
  };
}
