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

/**
 * Weighted sum of each half's scores, normalised to [0, 1] within its own hits: BM25 by the best
 * one's score, cosine by min-max over the hits (cosines of a query's neighbours differ by little,
 * so dividing by the best would flatten them). Unlike rank fusion it keeps how far apart two hits
 * are, so a chunk far ahead in one half stays ahead. Weights are relative (divided by their sum).
 */
export function scoreFusion(
  halves: Array<{ hits: Array<{ id: string; score: number }>; normalise: 'max' | 'min-max' }>,
  weights: number[],
): Map<string, number> {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const fused = new Map<string, number>();
  halves.forEach(({ hits, normalise }, h) => {
    if (!hits.length) return;
    const scores = hits.map((hit) => hit.score);
    const max = Math.max(...scores);
    const min = normalise === 'max' ? 0 : Math.min(...scores);
    const range = max - min;
    for (const hit of hits) {
      // Equal scores (or a single hit) carry no order: each counts fully.
      const normalised = range > 0 ? (hit.score - min) / range : 1;
      fused.set(hit.id, (fused.get(hit.id) ?? 0) + (weights[h] / total) * normalised);
    }
  });
  return fused;
}

export interface FusionWeights {
  vector: number;
  fulltext: number;
}

/**
 * How much each half counts in hybrid search, by embedder. The built-in hashing embedder only
 * sees shared words and character n-grams, which the lexical half already ranks better, so it
 * counts a tenth as much (0.1 : 1): it breaks ties and adds recall without pulling a good lexical
 * ranking down. A semantic model finds paraphrases that share no words with the
 * question, so it counts as much as the lexical half. Measured on `npm run bench:retrieval`;
 * a request can set both (`fusion`).
 */
export const EMBEDDER_FUSION_WEIGHTS: Record<string, FusionWeights> = {
  [HASHING_EMBEDDER]: { vector: 0.1, fulltext: 1 },
};
export const FUSION_METHOD = 'scores' as const;
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

/**
 * Lighter length normalisation (b 0.4) than the textbook 0.75: chunks are already cut to a bounded
 * length, so a short one is more often a fragment (a heading and a line) than a concise answer.
 * A higher k1 (1.6) lets a term that recurs in a chunk count for more before it saturates.
 * Both measured on `npm run bench:retrieval` at every chunk size tried.
 */
export const BM25_DEFAULTS: Bm25Options = { k1: 1.6, b: 0.4, headingWeight: 2, titleWeight: 2 };

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
