import { countingPass, type CleaningPass } from './cleaning-pass';
import { candidateProbability, chooseBands, createLshIndex, createMinHasher, MINHASH_DEFAULTS, type MinHashOptions } from './minhash';
import { normalizedText } from './normalize';

export interface NearDedupOptions extends MinHashOptions {
  /** Estimated Jaccard similarity at or above which a record duplicates an earlier one. */
  threshold?: number;
  bands?: number;
  rows?: number;
}

export const NEAR_DEDUP_THRESHOLD = 0.8;

export function nearDedupParams(options: NearDedupOptions = {}) {
  const permutations = options.permutations ?? MINHASH_DEFAULTS.permutations;
  const threshold = options.threshold ?? NEAR_DEDUP_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1], got ${threshold}`);
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
  };
}

/**
 * Drops a record when an earlier kept record's signature is at least
 * `threshold` similar: the first of a group of near-duplicates is kept.
 * Memory is one signature and its band entries per kept record.
 */
export function createNearDedupPass(options: NearDedupOptions = {}): CleaningPass {
  const params = nearDedupParams(options);
  const hasher = createMinHasher(params);
  const index = createLshIndex(params);
  return countingPass('near-dedup', params, (record) => {
    const signature = hasher.signature(normalizedText(record));
    if (!signature) return record;
    for (const id of index.candidates(signature)) if (index.similarity(signature, id) >= params.threshold) return null;
    index.add(signature);
    return record;
  });
}
