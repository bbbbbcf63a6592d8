import { SYSTEM, type AccessLevel, type Caller, type Document, type Identity, type ListDocumentsQuery, type RejectedFile, type UploadResult } from '@llmp/contracts';
import { conflict, newId, type Logger } from '@llmp/core';
import type { StoredChunk } from '../chunking/chunk';
import { BlobTooLargeError, type BlobStore, type StagedBlob } from '../blob-store/blob-store';
import type { KnowledgeBaseAccess } from '../knowledge-bases/knowledge-base-access';
import type { KnowledgeBaseSettings, KnowledgeBaseStore } from '../knowledge-bases/knowledge-base.store';
import { sniffDocument } from '../parsing/sniff';
import type { DocumentJobs } from '../pipeline/document-jobs';
import type { VectorStore } from '../vector-store/vector-store';
import type { ChunkStore } from './chunk.store';
import { documentNotFound, isFinal, publicDocument, type StoredDocument } from './document';
import type { DocumentStore } from './document.store';
import { filenameProblem, titleFromFilename } from './filenames';
import { DEFAULT_UPLOAD_LIMITS, mib, type UploadedFile, type UploadLimits } from './upload';

export interface DocumentsServiceDeps {
  documents: DocumentStore;
  chunks: ChunkStore;
  knowledgeBases: KnowledgeBaseStore;
  blobs: BlobStore;
  vectors: VectorStore;
  jobs: DocumentJobs;
  access: KnowledgeBaseAccess;
  log: Logger;
  limits?: Partial<UploadLimits>;
}

export interface Ingested {
  document: Document;
  /** The same bytes were already in the knowledge base: this is that document. */
  duplicate: boolean;
}

export type DocumentsService = ReturnType<typeof createDocumentsService>;

export function createDocumentsService({ documents, chunks, knowledgeBases, blobs, vectors, jobs, access, log, limits: given = {} }: DocumentsServiceDeps) {
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...given };

  /** A document is as visible as its knowledge base: one the caller may not read does not exist for them. */
  async function stored(id: string, caller: Caller, needed: Exclude<AccessLevel, 'none'> = 'read', action = `read document ${id}`): Promise<StoredDocument> {
    const doc = await documents.get(id);
    if (!doc) throw documentNotFound(id);
    await access.requireSettings(doc.knowledgeBaseId, caller, needed, { action, notFound: () => documentNotFound(id) });
    return doc;
  }

  async function enqueue(documentId: string): Promise<void> {
    try {
      await documents.setJob(documentId, await jobs.enqueue(documentId));
    } catch (err) {
      // The document stays queued; the reconciler gives it a job later.
      log.error({ err, documentId }, 'could not queue a document');
    }
  }

  /** Stores one file and queues it, or says why not. Never holds the file in memory. */
  async function ingest(kb: KnowledgeBaseSettings, input: UploadedFile, caller: Caller): Promise<Ingested | RejectedFile> {
    const filename = input.filename.normalize('NFC');
    const reject = (status: number, code: string, message: string): RejectedFile => ({ filename: input.filename, status, code, message });
    const problem = filenameProblem(filename);
    if (problem) {
      input.content.resume();
      return reject(400, 'invalid_filename', problem);
    }
    let staged: StagedBlob;
    try {
      staged = await blobs.stage(input.content, { maxBytes: limits.maxFileBytes, signal: input.signal });
    } catch (error) {
      if (error instanceof BlobTooLargeError) {
        return reject(413, 'file_too_large', `the file is larger than the limit of ${mib(limits.maxFileBytes)} (${limits.maxFileBytes} bytes)`);
      }
      throw error;
    }
    let committed = false;
    try {
      const declaredType = input.declaredType && input.declaredType !== 'application/octet-stream' ? input.declaredType : null;
      const sniffed = await sniffDocument({ file: staged, filename, declaredType });
      if (!sniffed.ok) return reject(sniffed.status, sniffed.code, sniffed.message);
      const existing = await documents.findByHash(kb.id, staged.sha256);
      if (existing) return { document: publicDocument(existing), duplicate: true };
      const id = newId('doc');
      const blobKey = `${kb.id}/${id}`;
      await blobs.commit(staged, blobKey);
      committed = true;
      const inserted = await documents.insert({
        id,
        knowledgeBaseId: kb.id,
        title: titleFromFilename(filename),
        filename,
        type: sniffed.type,
        mediaType: sniffed.mediaType,
        declaredType: input.declaredType ?? null,
        sizeBytes: staged.size,
        contentHash: staged.sha256,
        blobKey,
        metadata: input.metadata ?? {},
        warnings: sniffed.warnings,
        createdBy: caller === SYSTEM ? null : caller.userId,
      });
      if (!inserted) {
        // The same bytes arrived in a parallel request a moment ago.
        await blobs.delete(blobKey);
        const winner = await documents.findByHash(kb.id, staged.sha256);
        return { document: publicDocument(winner!), duplicate: true };
      }
      await enqueue(id);
      return { document: publicDocument((await documents.get(id))!), duplicate: false };
    } finally {
      if (!committed) await blobs.discard(staged);
    }
  }

  const uploadTo = (knowledgeBaseId: string, caller: Caller) =>
    access.requireSettings(knowledgeBaseId, caller, 'write', { action: `upload to knowledge base ${knowledgeBaseId}` });

  /**
   * Stores each file as it arrives and queues it. Every file is settled
   * before answering, so one that fails cannot hide what happened to the
   * others; a file refused for what it is (its name, size or type) is listed
   * in `rejected` with the reason. Fails only when every file failed for a
   * reason of ours, or when `files` itself fails.
   */
  async function upload(knowledgeBaseId: string, files: AsyncIterable<UploadedFile>, caller: Caller): Promise<UploadResult> {
    const kb = await uploadTo(knowledgeBaseId, caller);
    const arrived: Array<{ filename: string; outcome: Promise<Ingested | RejectedFile> }> = [];
    try {
      for await (const file of files) {
        const outcome = ingest(kb, file, caller).catch((error: unknown) => {
          file.content.resume();
          throw error;
        });
        // Settled below with the others; an unobserved rejection must not crash the process meanwhile.
        outcome.catch(() => undefined);
        arrived.push({ filename: file.filename, outcome });
      }
    } finally {
      await Promise.allSettled(arrived.map((a) => a.outcome));
    }
    const result: UploadResult = { documents: [], rejected: [] };
    const failures: unknown[] = [];
    for (const { filename, outcome } of arrived) {
      try {
        const value = await outcome;
        if ('document' in value) result.documents.push({ ...value.document, duplicate: value.duplicate });
        else result.rejected.push(value);
      } catch (error) {
        failures.push(error);
        log.error({ err: error, filename }, 'could not store an uploaded file');
        result.rejected.push({ filename, status: 500, code: 'internal', message: 'the file could not be stored because of an internal error; upload it again' });
      }
    }
    if (!result.documents.length && failures.length && failures.length === result.rejected.length) throw failures[0];
    return result;
  }

  return {
    limits,
    upload,

    /** Stores one file and queues it, or says why not. */
    async ingestFile(knowledgeBaseId: string, file: UploadedFile, caller: Caller): Promise<Ingested | RejectedFile> {
      return ingest(await uploadTo(knowledgeBaseId, caller), file, caller);
    },

    async get(id: string, caller: Caller): Promise<Document> {
      return publicDocument(await stored(id, caller));
    },

    async list(knowledgeBaseId: string, query: ListDocumentsQuery, caller: Caller): Promise<{ data: Document[]; next: string | null }> {
      await access.requireSettings(knowledgeBaseId, caller, 'read', { action: `read knowledge base ${knowledgeBaseId}` });
      const rows = await documents.list(knowledgeBaseId, query);
      return { data: rows.map(publicDocument), next: rows.length === query.limit ? rows[rows.length - 1].id : null };
    },

    async chunks(id: string, { limit, offset }: { limit: number; offset: number }, caller: Caller): Promise<{ data: StoredChunk[]; total: number }> {
      await stored(id, caller);
      return { data: await chunks.listByDocument(id, { limit, offset }), total: await chunks.countByDocument(id) };
    },

    /** Stops processing now: the running handler's signal fires and whatever it writes later is dropped. */
    async cancel(id: string, identity: Identity): Promise<Document> {
      const doc = await stored(id, identity, 'write', `cancel document ${id}`);
      if (isFinal(doc.status)) {
        throw conflict({ code: 'document_finished', message: `document ${id} is already ${doc.status}; there is nothing to cancel` });
      }
      const cancelled = await documents.finish(id, 'cancelled', {
        code: 'cancelled',
        message: `cancelled by ${identity.username}`,
        ...(doc.status !== 'queued' ? { stage: doc.status as 'parsing' } : {}),
      });
      if (doc.jobId) await jobs.cancel(doc.jobId);
      return publicDocument(cancelled ?? (await stored(id, identity)));
    },

    /** Removes the document, its chunks, its vectors and its file. */
    async delete(id: string, caller: Caller): Promise<void> {
      const doc = await stored(id, caller, 'write', `delete document ${id}`);
      if (!isFinal(doc.status)) {
        await documents.finish(id, 'cancelled', { code: 'deleted', message: 'the document was deleted' });
        if (doc.jobId) await jobs.cancel(doc.jobId);
      }
      const kb = await knowledgeBases.getSettings(doc.knowledgeBaseId);
      await documents.delete(id);
      if (kb) await vectors.deleteDocuments(kb.vectorCollection, [id]);
      await blobs.delete(doc.blobKey);
    },
  };
}
