import type { Document, Member, SearchRequest } from '@llmp/contracts';

// Types only: the contracts' zod schemas stay out of the browser bundle.
export type { Citation, KnowledgeBase, SearchHit, SearchResponse, UploadResult } from '@llmp/contracts';
export type IngestedDocument = Document;
export type KnowledgeBaseMember = Member;
export type SearchMode = SearchRequest['mode'];

const FINAL_STATUSES: readonly string[] = ['ready', 'failed', 'cancelled'];

/** Whether a document's pipeline has finished, one way or another (polling stops then). */
export function isFinal(status: Document['status']): boolean {
  return FINAL_STATUSES.includes(status);
}
