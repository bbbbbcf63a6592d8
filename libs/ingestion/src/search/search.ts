import { z } from 'zod';
import { documentMetadata, DOCUMENT_TYPES } from '../documents/document';
import { HASHING_EMBEDDER } from '../embedding/hashing-embedder';

export const searchBody = z.object({
  query: z.string({ message: 'is required' }).trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
  knowledgeBaseIds: z.array(z.string()).min(1, 'name at least one knowledge base').max(20, 'at most 20 knowledge bases'),
  topK: z.number().int().min(1).max(50).default(5),
  /** `hybrid` fuses both rankings; `vector` and `fulltext` run one half alone, for evaluation. */
  mode: z.enum(['hybrid', 'vector', 'fulltext']).default('hybrid'),
  /**
   * Hybrid only: how much each half's ranking counts, and the RRF constant. Unset weights come
   * from the knowledge bases' embedders (`fusionWeights`).
   */
  fusion: z
    .object({
      vectorWeight: z.number().min(0).max(10).optional(),
      fulltextWeight: z.number().min(0).max(10).optional(),
      k: z.number().min(1).max(1000).optional(),
    })
    .default({}),
  filters: z
    .object({
      documentIds: z.array(z.string()).max(1000).optional(),
      types: z.array(z.enum(DOCUMENT_TYPES)).optional(),
      /** Documents whose metadata contains all of these key/value pairs. */
      metadata: documentMetadata.optional(),
    })
    .default({}),
});

export type SearchRequest = z.infer<typeof searchBody>;
export type SearchFilters = SearchRequest['filters'];

export interface Citation {
  documentId: string;
  knowledgeBaseId: string;
  title: string;
  filename: string;
  /** First page of the chunk (PDF), else null. */
  page: number | null;
  pageEnd: number | null;
  /** The innermost heading above the chunk, and the whole path. */
  heading: string | null;
  headingPath: string[];
  /** Character offsets of the chunk in the document's extracted text. */
  startOffset: number;
  endOffset: number;
  score: number;
}

export interface SearchHit {
  chunkId: string;
  text: string;
  score: number;
  citation: Citation;
  /** Where each half placed it (1 = best), null when that half did not find it. */
  ranks: { vector: number | null; fulltext: number | null };
  /** Each half's own score: cosine similarity, and BM25F; null when that half did not find it. */
  scores: { vector: number | null; fulltext: number | null };
}

export interface SearchResponse {
  query: string;
  mode: SearchRequest['mode'];
  results: SearchHit[];
  /** The weights hybrid fusion used (null for a single half). */
  fusion: { vectorWeight: number; fulltextWeight: number; k: number } | null;
  tookMs: number;
}

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
