import { FINAL_STATUSES, type Document, type DocumentStatus } from '@llmp/contracts';
import { notFound } from '@llmp/core';

export function isFinal(status: DocumentStatus): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/** A document with the bookkeeping the API does not show. */
export interface StoredDocument extends Document {
  blobKey: string;
  jobId: string | null;
  runId: string | null;
}

/** The public view: no storage keys or worker bookkeeping. */
export function publicDocument(doc: StoredDocument): Document {
  const { blobKey: _blobKey, jobId: _jobId, runId: _runId, ...rest } = doc;
  return rest;
}

/** Also what a caller who may not see its knowledge base is told. */
export const documentNotFound = (id: string) => notFound({ code: 'document_not_found', message: `document ${id} does not exist` });
