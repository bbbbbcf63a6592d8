import { z } from 'zod';
import { visibilitySchema } from './access';

/**
 * What the document-ingestion service promises its callers: the UI, the
 * seed, and the services that search knowledge bases or read their chunks
 * over HTTP (`POST /api/ingestion/search`, `GET /api/ingestion/documents/{id}/chunks`).
 * Every response of those routes parses with these schemas and loses nothing.
 */

export const DOCUMENT_TYPES = ['pdf', 'docx', 'html', 'markdown', 'text', 'csv', 'json', 'jsonl'] as const;
export const documentTypeSchema = z.enum(DOCUMENT_TYPES);
export type DocumentType = z.infer<typeof documentTypeSchema>;

export const PIPELINE_STAGES = ['parsing', 'chunking', 'embedding', 'indexing'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];
export const FINAL_STATUSES = ['ready', 'failed', 'cancelled'] as const;
export const DOCUMENT_STATUSES = ['queued', ...PIPELINE_STAGES, ...FINAL_STATUSES] as const;
export const documentStatusSchema = z.enum(DOCUMENT_STATUSES);
export type DocumentStatus = z.infer<typeof documentStatusSchema>;

/** ISO 8601; what the database stamps itself (a stage's `at`) carries its offset instead of `Z`. */
const isoTimestamp = z.iso.datetime({ offset: true });
const count = z.number().int().min(0);

// ---- knowledge bases

export const chunkingSettingsSchema = z
  .object({
    /** `recursive`: headings → paragraphs → sentences packed to the budget; `heading`: one chunk per heading section. */
    mode: z.enum(['recursive', 'heading']).default('recursive'),
    /** 512 / 64 by default: measured against other sizes on `npm run bench:retrieval` (figures in the README). */
    maxTokens: z.number().int().min(32, 'must be at least 32').max(8192, 'must be at most 8192').default(512),
    overlapTokens: z.number().int().min(0, 'must be 0 or more').max(2048, 'must be at most 2048').default(64),
  })
  .refine((s) => s.overlapTokens <= s.maxTokens / 2, { message: 'overlapTokens must be at most half of maxTokens', path: ['overlapTokens'] });
export type ChunkingSettings = z.infer<typeof chunkingSettingsSchema>;

export const embedderSpecSchema = z.object({
  name: z.string().min(1, 'is required').max(200),
  dimension: z.number().int().min(2, 'must be at least 2').max(8192, 'must be at most 8192'),
});
export type EmbedderSpec = z.infer<typeof embedderSpecSchema>;

const knowledgeBaseName = z
  .string({ message: 'is required' })
  .trim()
  .min(1, 'is required')
  .max(120, 'must be at most 120 characters')
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const createKnowledgeBaseBody = z.object({
  name: knowledgeBaseName,
  description: z.string().max(2000).default(''),
  chunking: chunkingSettingsSchema.optional(),
  embedder: embedderSpecSchema.optional(),
  /** `private` (the default): its owner, its members and managers; `organisation`: every user reads it. */
  visibility: visibilitySchema.default('private'),
});
export type CreateKnowledgeBase = z.infer<typeof createKnowledgeBaseBody>;

export const updateKnowledgeBaseBody = z
  .object({
    name: knowledgeBaseName.optional(),
    description: z.string().max(2000).optional(),
    chunking: chunkingSettingsSchema.optional(),
    embedder: embedderSpecSchema.optional(),
    visibility: visibilitySchema.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'nothing to change: send name, description, chunking, embedder or visibility' });
export type UpdateKnowledgeBase = z.infer<typeof updateKnowledgeBaseBody>;

export const reindexBody = z.object({
  /** Every document, not only the stale and failed ones. */
  all: z.boolean().default(false),
  documentIds: z.array(z.string()).max(10_000).optional(),
});
export type ReindexRequest = z.infer<typeof reindexBody>;

export const reindexResponseSchema = z.object({
  queued: z.array(z.string()),
  /** Documents still being processed; reindex them once they finish. */
  skipped: z.array(z.string()),
});
export type ReindexResult = z.infer<typeof reindexResponseSchema>;

export const documentCountsSchema = z.object({
  total: count,
  ready: count,
  processing: count,
  failed: count,
  cancelled: count,
  stale: count,
});
export type DocumentCounts = z.infer<typeof documentCountsSchema>;

export const knowledgeBaseSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  chunking: chunkingSettingsSchema,
  embedder: embedderSpecSchema,
  /** Where its vectors live in the vector store; a new embedder gets a new collection. */
  vectorCollection: z.string(),
  /** Bumped whenever chunking or embedder change; documents indexed at an older revision are stale. */
  settingsRevision: z.number().int().min(1),
  createdBy: z.string().nullable(),
  /** Who administers it besides managers; null for the platform's own (the demo). */
  ownerId: z.string().nullable(),
  visibility: visibilitySchema,
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
  documents: documentCountsSchema,
});
export type KnowledgeBase = z.infer<typeof knowledgeBaseSchema>;

export const knowledgeBaseListSchema = z.object({ data: z.array(knowledgeBaseSchema) });

// ---- documents

// Postgres cannot store a NUL byte in jsonb; multipart metadata never passes the JSON-body check that refuses it elsewhere.
const withoutNul = (s: string) => !s.includes('\u0000');

/** User metadata on a document: flat, for filtering in search. */
export const documentMetadataSchema = z
  .record(
    z.string().min(1).max(100),
    z.union([z.string().max(1000).refine(withoutNul, 'must not contain NUL bytes'), z.number(), z.boolean(), z.null()]),
  )
  .refine((m) => Object.keys(m).every(withoutNul), 'keys must not contain NUL bytes')
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');
export type DocumentMetadata = z.infer<typeof documentMetadataSchema>;

export const stageTimingSchema = z.object({
  startedAt: isoTimestamp,
  finishedAt: isoTimestamp.optional(),
  ms: count.optional(),
});
export type StageTiming = z.infer<typeof stageTimingSchema>;

const reachedAt = z.object({ at: isoTimestamp });

export const documentErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** The stage that failed, when one did. */
  stage: z.enum(PIPELINE_STAGES).optional(),
  /** True while the failure is transient and a retry is scheduled. */
  retrying: z.boolean().optional(),
});
export type DocumentError = z.infer<typeof documentErrorSchema>;

export const documentSchema = z.object({
  id: z.string(),
  knowledgeBaseId: z.string(),
  title: z.string(),
  filename: z.string(),
  type: documentTypeSchema,
  mediaType: z.string(),
  /** What the client said the file was (its Content-Type), for diagnosis only. */
  declaredType: z.string().nullable(),
  sizeBytes: count,
  /** SHA-256 of the bytes, hex. */
  contentHash: z.string(),
  metadata: documentMetadataSchema,
  status: documentStatusSchema,
  /** Its chunks were built with settings the knowledge base no longer has. */
  stale: z.boolean(),
  indexedRevision: z.number().int().nullable(),
  /** 0 … 1 over the whole pipeline. */
  progress: z.number().min(0).max(1),
  stages: z.object({
    queued: reachedAt.optional(),
    parsing: stageTimingSchema.optional(),
    chunking: stageTimingSchema.optional(),
    embedding: stageTimingSchema.optional(),
    indexing: stageTimingSchema.optional(),
    ready: reachedAt.optional(),
  }),
  error: documentErrorSchema.nullable(),
  warnings: z.array(z.string()),
  counts: z.object({
    pages: count.nullable(),
    sections: count.nullable(),
    chunks: count.nullable(),
    tokens: count.nullable(),
    characters: count.nullable(),
  }),
  attempts: count,
  createdBy: z.string().nullable(),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
});
export type Document = z.infer<typeof documentSchema>;

export const listDocumentsQuery = z.object({
  status: documentStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The last id of the previous page. */
  after: z.string().optional(),
});
export type ListDocumentsQuery = z.infer<typeof listDocumentsQuery>;

export const documentListSchema = z.object({
  data: z.array(documentSchema),
  /** Pass as `after` for the next page; null on the last one. */
  next: z.string().nullable(),
});

/** One file of an upload that was not stored, and why; `filename` is null for what concerns the request (too many files). */
export const rejectedFileSchema = z.object({
  filename: z.string().nullable(),
  status: z.number().int().min(400).max(599),
  code: z.string(),
  message: z.string(),
});
export type RejectedFile = z.infer<typeof rejectedFileSchema>;

/** Answer of an upload: 201, 200 when every file was already stored, 207 when some were refused. */
export const uploadResponseSchema = z.object({
  documents: z.array(documentSchema.extend({ duplicate: z.boolean() })),
  rejected: z.array(rejectedFileSchema),
});
export type UploadResult = z.infer<typeof uploadResponseSchema>;

// ---- chunks

export const chunkSchema = z.object({
  id: z.string(),
  documentId: z.string(),
  knowledgeBaseId: z.string(),
  /** Position in the document, from 0. */
  ordinal: count,
  /** Exactly `documentText.slice(start, end)`. */
  text: z.string(),
  start: count,
  end: count,
  headingPath: z.array(z.string()),
  pageStart: z.number().int().min(1).nullable(),
  pageEnd: z.number().int().min(1).nullable(),
  tokenCount: count,
});
export type DocumentChunk = z.infer<typeof chunkSchema>;

export const listChunksQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type ListChunksQuery = z.infer<typeof listChunksQuery>;

export const chunkListSchema = z.object({ data: z.array(chunkSchema), total: count });

// ---- search

export const SEARCH_MODES = ['hybrid', 'vector', 'fulltext'] as const;

export const searchBody = z.object({
  query: z.string({ message: 'is required' }).trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
  knowledgeBaseIds: z.array(z.string()).min(1, 'name at least one knowledge base').max(20, 'at most 20 knowledge bases'),
  topK: z.number().int().min(1).max(50).default(5),
  /** `hybrid` fuses both rankings; `vector` and `fulltext` run one half alone, for evaluation. */
  mode: z.enum(SEARCH_MODES).default('hybrid'),
  /**
   * Hybrid only: how the halves are combined, how much each counts, and the RRF constant (for
   * `rrf`). Unset weights come from the knowledge bases' embedders.
   */
  fusion: z
    .object({
      /** `scores` (default): weighted sum of each half's normalised scores; `rrf`: weighted reciprocal rank fusion. */
      method: z.enum(['scores', 'rrf'], { message: 'must be "scores" or "rrf"' }).optional(),
      vectorWeight: z.number().min(0).max(10).optional(),
      fulltextWeight: z.number().min(0).max(10).optional(),
      k: z.number().min(1).max(1000).optional(),
    })
    .default({}),
  filters: z
    .object({
      documentIds: z.array(z.string()).max(1000).optional(),
      types: z.array(documentTypeSchema).optional(),
      /** Documents whose metadata contains all of these key/value pairs. */
      metadata: documentMetadataSchema.optional(),
    })
    .default({}),
});
export type SearchRequest = z.infer<typeof searchBody>;
export type SearchFilters = SearchRequest['filters'];

export const citationSchema = z.object({
  documentId: z.string(),
  knowledgeBaseId: z.string(),
  title: z.string(),
  filename: z.string(),
  /** First page of the chunk (PDF), else null. */
  page: z.number().int().min(1).nullable(),
  pageEnd: z.number().int().min(1).nullable(),
  /** The innermost heading above the chunk, and the whole path. */
  heading: z.string().nullable(),
  headingPath: z.array(z.string()),
  /** Character offsets of the chunk in the document's extracted text. */
  startOffset: count,
  endOffset: count,
  /** The hit's score, repeated so that a citation stands alone. */
  score: z.number(),
});
export type Citation = z.infer<typeof citationSchema>;

export const searchHitSchema = z.object({
  chunkId: z.string(),
  text: z.string(),
  /** Fused score (hybrid), cosine similarity (vector) or BM25F (fulltext), rounded to 6 decimals. */
  score: z.number(),
  citation: citationSchema,
  /** Where each half placed it (1 = best), null when that half did not find it. */
  ranks: z.object({ vector: z.number().int().min(1).nullable(), fulltext: z.number().int().min(1).nullable() }),
  /** Each half's own score: cosine similarity, and BM25F; null when that half did not find it. */
  scores: z.object({ vector: z.number().nullable(), fulltext: z.number().nullable() }),
});
export type SearchHit = z.infer<typeof searchHitSchema>;

export const searchResponseSchema = z.object({
  query: z.string(),
  mode: z.enum(SEARCH_MODES),
  results: z.array(searchHitSchema),
  /** The weights hybrid fusion used (null for a single half). */
  fusion: z.object({ method: z.enum(['scores', 'rrf']), vectorWeight: z.number(), fulltextWeight: z.number(), k: z.number() }).nullable(),
  tookMs: z.number().min(0),
});
export type SearchResponse = z.infer<typeof searchResponseSchema>;
