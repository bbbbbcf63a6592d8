import { z } from 'zod';
import { documentMetadata, DOCUMENT_TYPES } from '../documents/document';

export const searchBody = z.object({
  query: z.string({ message: 'is required' }).trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
  knowledgeBaseIds: z.array(z.string()).min(1, 'name at least one knowledge base').max(20, 'at most 20 knowledge bases'),
  topK: z.number().int().min(1).max(50).default(5),
  /** `hybrid` fuses both rankings; `vector` and `fulltext` run one half alone, for evaluation. */
  mode: z.enum(['hybrid', 'vector', 'fulltext']).default('hybrid'),
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
}

export interface SearchResponse {
  query: string;
  mode: SearchRequest['mode'];
  results: SearchHit[];
  tookMs: number;
}

/** Reciprocal rank fusion: Σ 1 / (k + rank) over the rankings a hit appears in. */
export function reciprocalRankFusion(rankings: string[][], k = 60): Map<string, number> {
  const fused = new Map<string, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, index) => fused.set(id, (fused.get(id) ?? 0) + 1 / (k + index + 1)));
  }
  return fused;
}
