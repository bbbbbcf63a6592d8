import { countingPass, preparedResults, type CleaningPass } from './cleaning-pass';
import { candidateProbability, chooseBands, createLshIndex, LSH_MAX_BUCKET_SCAN, createMinHasher, jaccard, MINHASH_DEFAULTS, shingleSet, type MinHashOptions } from './minhash';
import { normalizedText } from './normalize';

export interface NearDedupOptions extends MinHashOptions {
  /** Exact Jaccard similarity of shingle sets at or above which a record duplicates an earlier one. */
  threshold?: number;
  bands?: number;
  rows?: number;
  /**
   * LSH candidates whose estimated Jaccard is below `threshold − estimateMargin` are set aside without
   * computing the exact one. 0.15 is over four standard errors at 128 permutations, so no true pair is lost to it.
   */
  estimateMargin?: number;
  /**
   * Exact Jaccard checks per record at most, on the candidates with the highest estimates. A true
   * near-duplicate's estimate is within a few hundredths of its Jaccard, so it sorts among the first.
   */
  maxExactChecks?: number;
}

export const NEAR_DEDUP_THRESHOLD = 0.8;
export const NEAR_DEDUP_ESTIMATE_MARGIN = 0.15;
export const NEAR_DEDUP_MAX_EXACT_CHECKS = 8;

export function nearDedupParams(options: NearDedupOptions = {}) {
  const permutations = options.permutations ?? MINHASH_DEFAULTS.permutations;
  const threshold = options.threshold ?? NEAR_DEDUP_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1], got ${threshold}`);
  const estimateMargin = options.estimateMargin ?? NEAR_DEDUP_ESTIMATE_MARGIN;
  if (!(estimateMargin >= 0 && estimateMargin <= 1)) throw new Error(`estimateMargin must be in [0, 1], got ${estimateMargin}`);
  const maxExactChecks = options.maxExactChecks ?? NEAR_DEDUP_MAX_EXACT_CHECKS;
  if (!(Number.isInteger(maxExactChecks) && maxExactChecks >= 1)) throw new Error(`maxExactChecks must be a positive integer, got ${maxExactChecks}`);
  const chosen = chooseBands(permutations, threshold);
  const bands = options.bands ?? (options.rows ? Math.floor(permutations / options.rows) : chosen.bands);
  const rows = options.rows ?? Math.floor(permutations / bands);
  return {
    shingles: 'characters',
    shingleSize: options.shingleSize ?? MINHASH_DEFAULTS.shingleSize,
    permutations,
    method: options.method ?? MINHASH_DEFAULTS.method,
    seed: options.seed ?? MINHASH_DEFAULTS.seed,
    bands,
    rows,
    threshold,
    /** Where the LSH S-curve is steepest, (1/b)^(1/r). */
    sCurveMidpoint: Math.round((1 / bands) ** (1 / rows) * 1000) / 1000,
    candidateProbabilityAtThreshold: Math.round(candidateProbability(threshold, bands, rows) * 1000) / 1000,
    verification: 'exact Jaccard of hashed shingle sets (sorted merge)',
    estimateMargin,
    maxExactChecks,
    maxBucketScan: LSH_MAX_BUCKET_SCAN,
  };
}

export type NearDedupParams = ReturnType<typeof nearDedupParams>;

/**
 * Stored normalized texts, found again by MinHash LSH and confirmed by exact
 * Jaccard. A kept text costs its string (about one byte per character for
 * plain text) plus its signature and band entries; the shingle set of a
 * stored text is rebuilt only when it is a candidate that passed the
 * estimate, which is rare, instead of being held for every record (four
 * bytes per character).
 */
export interface NearDuplicateIndex {
  readonly params: NearDedupParams;
  readonly size: number;
  /**
   * Ids of stored texts whose exact Jaccard with `text` reaches the threshold, in ascending order, found among the
   * `maxExactChecks` candidates with the highest estimates; with `firstOnly`, at most one.
   */
  matches(text: string, firstOnly?: boolean): number[];
  /** Stores a normalized text and returns its id (0, 1, 2, …), or null for an empty text, which has no shingles. */
  add(text: string): number | null;
  /** `matches` for a text whose signature was computed elsewhere (null: an empty text). */
  matchesSigned(signature: Uint32Array | null, text: string, firstOnly?: boolean): number[];
  /** `add` for a text whose signature was computed elsewhere. */
  addSigned(signature: Uint32Array | null, text: string): number | null;
}

export function createNearDuplicateIndex(options: NearDedupOptions = {}): NearDuplicateIndex {
  const params = nearDedupParams(options);
  const hasher = createMinHasher(params);
  const index = createLshIndex(params);
  const texts: string[] = [];
  const floor = params.threshold - params.estimateMargin;
  // `add` usually follows `matches` on the same text: its signature is kept rather than computed twice.
  let lastText: string | null = null;
  let lastSignature: Uint32Array | null = null;
  const signatureOf = (text: string) => {
    if (text !== lastText) {
      lastText = text;
      lastSignature = hasher.signature(text);
    }
    return lastSignature;
  };
  const shinglesOf = (text: string) => shingleSet(text, params.shingleSize, params.seed);

  return {
    params,
    get size() {
      return index.size;
    },
    matches(text, firstOnly = false) {
      return matchesSigned(signatureOf(text), text, firstOnly);
    },
    add(text) {
      return addSigned(signatureOf(text), text);
    },
    matchesSigned,
    addSigned,
  };

  function matchesSigned(signature: Uint32Array | null, text: string, firstOnly = false) {
    if (!signature) return [];
    const likely: { id: number; estimate: number }[] = [];
    for (const id of index.candidates(signature)) {
      const estimate = index.similarity(signature, id);
      if (estimate >= floor) likely.push({ id, estimate });
    }
    // Most similar first, and a bounded number of exact checks: on templated text hundreds of
    // candidates can pass the estimate, and each exact check rebuilds a stored text's shingle set.
    likely.sort((a, b) => b.estimate - a.estimate || a.id - b.id);
    const found: number[] = [];
    let shingles: Uint32Array | null = null;
    for (const { id } of likely.slice(0, params.maxExactChecks)) {
      shingles ??= shinglesOf(text);
      if (jaccard(shingles, shinglesOf(texts[id])) < params.threshold) continue;
      found.push(id);
      if (firstOnly) break;
    }
    found.sort((a, b) => a - b);
    return found;
  }

  function addSigned(signature: Uint32Array | null, text: string) {
    if (!signature) return null;
    texts.push(text);
    return index.add(signature);
  }
}

/**
 * Drops a record when the shingle set of an earlier kept record is at least
 * `threshold` similar (exact Jaccard): the first of a group of near-duplicates
 * is kept. LSH only proposes candidates; none is dropped on an estimate.
 */
/** A record's normalized text and its MinHash signature (null for an empty text), as a cleaning thread computes them. */
export interface SignedText {
  text: string;
  signature: Uint32Array | null;
}

export function createNearDedupPass(options: NearDedupOptions = {}): CleaningPass {
  const duplicates = createNearDuplicateIndex(options);
  const { shingleSize, permutations, method, seed } = duplicates.params;
  const prepared = preparedResults<SignedText>('minhash', { shingleSize, permutations, method, seed });
  return countingPass(
    'near-dedup',
    duplicates.params,
    (record) => {
      const signed = prepared.take(record)?.value;
      if (!signed) {
        const text = normalizedText(record);
        if (duplicates.matches(text, true).length) return null;
        duplicates.add(text);
        return record;
      }
      if (duplicates.matchesSigned(signed.signature, signed.text, true).length) return null;
      duplicates.addSigned(signed.signature, signed.text);
      return record;
    },
    undefined,
    prepared,
  );
}
