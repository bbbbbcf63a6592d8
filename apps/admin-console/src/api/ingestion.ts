import type { MemberRole, Visibility } from '@llmp/contracts';

/**
 * The document-ingestion answers the console reads, as the API sends them (see
 * libs/ingestion: knowledge-base.ts, document.ts, search/search.ts). Only the fields shown here.
 */
export interface KnowledgeBase {
  id: string;
  name: string;
  description: string;
  embedder: { name: string; dimension: number };
  ownerId: string | null;
  visibility: Visibility;
  createdAt: string;
  documents: { total: number; ready: number; processing: number; failed: number; cancelled: number; stale: number };
}

export const FINAL_STATUSES = ['ready', 'failed', 'cancelled'] as const;
export type DocumentStatus = 'queued' | 'parsing' | 'chunking' | 'embedding' | 'indexing' | (typeof FINAL_STATUSES)[number];

export function isFinal(status: DocumentStatus): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export interface IngestedDocument {
  id: string;
  knowledgeBaseId: string;
  title: string;
  filename: string;
  type: string;
  sizeBytes: number;
  status: DocumentStatus;
  stale: boolean;
  progress: number;
  error: { code: string; message: string; stage?: string; retrying?: boolean } | null;
  counts: { pages: number | null; chunks: number | null };
  createdAt: string;
}

export interface UploadResult {
  documents: Array<IngestedDocument & { duplicate: boolean }>;
  rejected: Array<{ filename: string; status: number; code: string; reason: string }>;
}

export interface KnowledgeBaseMember {
  userId: string;
  role: MemberRole;
  addedAt: string;
}

export interface Citation {
  documentId: string;
  knowledgeBaseId: string;
  title: string;
  filename: string;
  page: number | null;
  pageEnd: number | null;
  heading: string | null;
  headingPath: string[];
  startOffset: number;
  endOffset: number;
}

export interface SearchHit {
  chunkId: string;
  text: string;
  score: number;
  citation: Citation;
  ranks: { vector: number | null; fulltext: number | null };
}

export type SearchMode = 'hybrid' | 'vector' | 'fulltext';

export interface SearchResponse {
  query: string;
  mode: SearchMode;
  results: SearchHit[];
  tookMs: number;
}
