import type { SearchFilters } from '@llmp/contracts';
import { HASHING_EMBEDDER } from '../embedding/hashing-embedder';

/** Whether the filters narrow the documents at all. */
export const hasFilters = (filters: SearchFilters) =>
  !!(filters.documentIds || filters.types || (filters.metadata && Object.keys(filters.metadata).length));

/** Weighted reciprocal rank fusion: Σ weight / (k + rank) over the rankings a hit appears in. */
export function reciprocalRankFusion(rankings: string[][], k = 60, weights: number[] = rankings.map(() => 1)): Map<string, number> {
  const fused = new Map<string, number>();
  rankings.forEach((ranking, r) => {
    ranking.forEach((id, index) => fused.set(id, (fused.get(id) ?? 0) + weights[r] / (k + index + 1)));
  });
  return fused;
}

export interface FusionWeights {
  vector: number;
  fulltext: number;
}

/**
 * How much each half counts in hybrid search, by embedder. The built-in hashing embedder only
 * sees shared words and character n-grams, which the lexical half already ranks better, so its
 * ranking breaks ties and adds recall without pulling a good lexical ranking down. A semantic
 * model finds paraphrases that share no words with the question, so it counts as much as the
 * lexical half. Measured on `npm run bench:retrieval`; a request can set both (`fusion`).
 */
export const EMBEDDER_FUSION_WEIGHTS: Record<string, FusionWeights> = {
  [HASHING_EMBEDDER]: { vector: 0.2, fulltext: 1 },
};
export const SEMANTIC_FUSION_WEIGHTS: FusionWeights = { vector: 1, fulltext: 1 };
export const RRF_K = 60;

/** The weights for a search over knowledge bases with these embedders: the most cautious vector weight among them. */
export function fusionWeights(embedderNames: string[]): FusionWeights {
  const weights = embedderNames.map((name) => EMBEDDER_FUSION_WEIGHTS[name] ?? SEMANTIC_FUSION_WEIGHTS);
  return {
    vector: Math.min(...weights.map((w) => w.vector)),
    fulltext: Math.max(...weights.map((w) => w.fulltext)),
  };
}

export interface TermStatistics {
  /** Chunks in the searched knowledge bases, and their mean length in tokens. */
  chunks: number;
  meanLength: number;
  /** Per query term: the number of chunks containing it. */
  documentFrequency: Map<string, number>;
}

export interface TermMatch {
  id: string;
  /** The chunk's length in tokens. */
  length: number;
  /** Occurrences of each query term in the chunk's searchable text (its headings and body). */
  frequency: Map<string, number>;
  /** Query terms in the chunk's innermost heading, and in its document's title or file name. */
  inHeading: Set<string>;
  inTitle: Set<string>;
}

export interface Bm25Options {
  k1: number;
  b: number;
  /** Extra occurrences credited for a term in the heading, and in the title or file name (BM25F). */
  headingWeight: number;
  titleWeight: number;
}

export const BM25_DEFAULTS: Bm25Options = { k1: 1.2, b: 0.75, headingWeight: 2, titleWeight: 2 };

/** BM25F: term frequencies from the body, heading and title fields, weighted, then saturated once per term. */
export function bm25(matches: TermMatch[], stats: TermStatistics, options: Bm25Options = BM25_DEFAULTS): Array<{ id: string; score: number }> {
  const { k1, b, headingWeight, titleWeight } = options;
  const meanLength = stats.meanLength || 1;
  const idf = new Map<string, number>();
  for (const [term, df] of stats.documentFrequency) idf.set(term, Math.log(1 + (stats.chunks - df + 0.5) / (df + 0.5)));
  return matches
    .map((match) => {
      const norm = k1 * (1 - b + (b * match.length) / meanLength);
      let score = 0;
      for (const [term, weight] of idf) {
        const tf = (match.frequency.get(term) ?? 0) + (match.inHeading.has(term) ? headingWeight : 0) + (match.inTitle.has(term) ? titleWeight : 0);
        if (tf > 0) score += (weight * tf * (k1 + 1)) / (tf + norm);
      }
      return { id: match.id, score };
    })
    .sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
