import { z } from 'zod';

export const DOCUMENT_TYPES = ['pdf', 'docx', 'html', 'markdown', 'text', 'csv', 'json', 'jsonl'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const PIPELINE_STAGES = ['parsing', 'chunking', 'embedding', 'indexing'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

export const FINAL_STATUSES = ['ready', 'failed', 'cancelled'] as const;
export type DocumentStatus = 'queued' | PipelineStage | (typeof FINAL_STATUSES)[number];

export function isFinal(status: DocumentStatus): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export interface StageTiming {
  startedAt: string;
  finishedAt?: string;
  ms?: number;
}

export interface DocumentError {
  code: string;
  message: string;
  /** The stage that failed, when one did. */
  stage?: PipelineStage;
  /** True while the failure is transient and a retry is scheduled. */
  retrying?: boolean;
}

export interface Document {
  id: string;
  knowledgeBaseId: string;
  title: string;
  filename: string;
  type: DocumentType;
  mediaType: string;
  /** What the client said the file was (its Content-Type), for diagnosis only. */
  declaredType: string | null;
  sizeBytes: number;
  contentHash: string;
  metadata: Record<string, unknown>;
  status: DocumentStatus;
  /** Its chunks were built with settings the knowledge base no longer has. */
  stale: boolean;
  indexedRevision: number | null;
  /** 0 … 1 over the whole pipeline. */
  progress: number;
  stages: { queued?: { at: string } } & Partial<Record<PipelineStage, StageTiming>> & { ready?: { at: string } };
  error: DocumentError | null;
  warnings: string[];
  counts: { pages: number | null; sections: number | null; chunks: number | null; tokens: number | null; characters: number | null };
  attempts: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

// Postgres cannot store a NUL byte in jsonb; multipart metadata never passes the JSON-body check that refuses it elsewhere.
const withoutNul = (s: string) => !s.includes('\u0000');

/** User metadata on a document: flat, for filtering in search. */
export const documentMetadata = z
  .record(
    z.string().min(1).max(100),
    z.union([z.string().max(1000).refine(withoutNul, 'must not contain NUL bytes'), z.number(), z.boolean(), z.null()]),
  )
  .refine((m) => Object.keys(m).every(withoutNul), 'keys must not contain NUL bytes')
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

export const listDocumentsQuery = z.object({
  status: z.enum(['queued', 'parsing', 'chunking', 'embedding', 'indexing', 'ready', 'failed', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The last id of the previous page. */
  after: z.string().optional(),
});

export type ListDocumentsQuery = z.infer<typeof listDocumentsQuery>;
