import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import type { AccessLevel, Caller, Identity } from '@llmp/contracts';
import { newId, type Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import { AppError, ConflictError, InputError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@llmp/http';
import { BlobTooLargeError, type BlobStore, type StagedBlob } from '../blob-store/blob-store';
import type { StoredChunk } from '../chunking/chunk';
import type { KnowledgeBase } from '../knowledge-bases/knowledge-base';
import type { KnowledgeBaseAccess } from '../knowledge-bases/knowledge-base-access';
import { createKnowledgeBasesRepository } from '../knowledge-bases/knowledge-bases.repository';
import { sniffDocument } from '../parsing/sniff';
import type { DocumentJobs } from '../pipeline/document-jobs';
import type { VectorStore } from '../vector-store/vector-store';
import { createChunksRepository } from './chunks.repository';
import { documentMetadata, isFinal, type Document, type ListDocumentsQuery } from './document';
import { createDocumentsRepository, publicDocument, type StoredDocument } from './documents.repository';
import { filenameProblem, titleFromFilename } from './filenames';

export interface UploadLimits {
  /** Largest file accepted, in bytes (default 50 MB). */
  maxFileBytes: number;
  /** Files per request (default 20). */
  maxFiles: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxFileBytes: 50 * 1024 * 1024, maxFiles: 20 };

export interface DocumentsServiceDeps {
  db: Db;
  blobs: BlobStore;
  vectors: VectorStore;
  jobs: DocumentJobs;
  access: KnowledgeBaseAccess;
  log: Logger;
  limits?: Partial<UploadLimits>;
}

export interface Rejection {
  filename: string | null;
  status: number;
  code: string;
  message: string;
}

export interface Ingested {
  document: Document;
  /** The same bytes were already in the knowledge base: this is that document. */
  duplicate: boolean;
}

/** What happened to each file of an upload: stored (or found already stored), or refused and why. */
export interface UploadResult {
  documents: Array<Document & { duplicate: boolean }>;
  rejected: Rejection[];
}

export interface IngestInput {
  filename: string;
  /** The client's Content-Type for the file, if any. */
  declaredType?: string | null;
  content: Readable;
  metadata?: Record<string, unknown>;
  createdBy?: string | null;
  signal?: AbortSignal;
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

export type DocumentsService = ReturnType<typeof createDocumentsService>;

export function createDocumentsService({ db, blobs, vectors, jobs, access, log, limits: given = {} }: DocumentsServiceDeps) {
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...given };
  const documents = createDocumentsRepository(db);
  const chunks = createChunksRepository(db);
  const knowledgeBases = createKnowledgeBasesRepository(db);

  const documentNotFound = (id: string) => new NotFoundError({ code: 'document_not_found', message: `document ${id} does not exist` });

  /** A document is as visible as its knowledge base: one the caller may not read does not exist for them. */
  async function stored(id: string, caller: Caller, needed: Exclude<AccessLevel, 'none'> = 'read', action = `read document ${id}`): Promise<StoredDocument> {
    const doc = await documents.get(id);
    if (!doc) throw documentNotFound(id);
    await access.require(doc.knowledgeBaseId, caller, needed, { action, notFound: () => documentNotFound(id) });
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
  async function ingest(kb: KnowledgeBase, input: IngestInput): Promise<Ingested | Rejection> {
    const filename = input.filename.normalize('NFC');
    const reject = (status: number, code: string, message: string): Rejection => ({ filename: input.filename, status, code, message });
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
        createdBy: input.createdBy ?? null,
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

  /** Reads a multipart request part by part, each file streamed to the blob store. */
  async function upload(knowledgeBaseId: string, req: Request, identity: Identity): Promise<UploadResult> {
    const kb = await access.require(knowledgeBaseId, identity, 'write', { action: `upload to knowledge base ${knowledgeBaseId}` });
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType)) {
      throw new UnsupportedMediaTypeError({
        code: 'multipart_required',
        message: `send files as multipart/form-data (one part per file), not ${contentType.split(';')[0] || 'a body without a Content-Type'}`,
      });
    }
    const declaredLength = Number(req.headers['content-length']);
    const ceiling = limits.maxFiles * limits.maxFileBytes + 1024 * 1024;
    if (Number.isFinite(declaredLength) && declaredLength > ceiling) {
      throw new PayloadTooLargeError({
        code: 'request_too_large',
        message: `the request is ${declaredLength} bytes; at most ${limits.maxFiles} files of ${mib(limits.maxFileBytes)} each are accepted`,
      });
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        preservePath: true,
        defParamCharset: 'utf8',
        limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes + 1, fields: 20, fieldSize: 64 * 1024 },
      });
    } catch (error) {
      throw new InputError({ code: 'malformed_multipart', message: `the multipart request is malformed: ${(error as Error).message}` });
    }

    const aborted = new AbortController();
    const onClose = () => {
      if (!req.complete) aborted.abort(new Error('the client closed the upload before sending all of it'));
    };
    req.once('close', onClose);
    const results: Array<Promise<Ingested | Rejection>> = [];
    const filenames: string[] = [];
    let metadata: Record<string, unknown> = {};
    let metadataProblem: string | null = null;
    let tooMany = false;

    const done = new Promise<void>((resolve, reject) => {
      parser.on('field', (name, value) => {
        if (name !== 'metadata') return;
        try {
          const parsed = documentMetadata.safeParse(JSON.parse(value));
          if (parsed.success) metadata = parsed.data;
          else metadataProblem = `"metadata" must be a flat JSON object of strings, numbers and booleans: ${parsed.error.issues[0]?.message}`;
        } catch {
          metadataProblem = '"metadata" is not valid JSON';
        }
      });
      parser.on('file', (_field, stream, info) => {
        if (metadataProblem) {
          stream.resume();
          return;
        }
        const outcome = ingest(kb, {
          filename: info.filename ?? '',
          declaredType: info.mimeType,
          content: stream,
          metadata,
          createdBy: identity?.userId ?? null,
          signal: aborted.signal,
        }).catch((error: Error) => {
          stream.resume();
          throw error;
        });
        // Settled later with the others; an unobserved rejection must not crash the process meanwhile.
        outcome.catch(() => undefined);
        results.push(outcome);
        filenames.push(info.filename ?? '');
      });
      parser.on('filesLimit', () => (tooMany = true));
      parser.on('error', (error: Error) =>
        reject(new InputError({ code: 'malformed_multipart', message: `the multipart request is malformed: ${error.message}` })),
      );
      parser.on('close', resolve);
      req.pipe(parser);
    });
    try {
      await done;
      // Every file is settled before answering: one that fails must not hide what happened to the others.
      const settled = await Promise.allSettled(results);
      if (metadataProblem) throw new InputError({ code: 'invalid_metadata', message: metadataProblem });
      const out: UploadResult = { documents: [], rejected: [] };
      const failures: unknown[] = [];
      settled.forEach((outcome, i) => {
        if (outcome.status === 'rejected') {
          failures.push(outcome.reason);
          log.error({ err: outcome.reason, filename: filenames[i] }, 'could not store an uploaded file');
          out.rejected.push({ filename: filenames[i], status: 500, code: 'internal', message: 'the file could not be stored because of an internal error; upload it again' });
        } else if ('document' in outcome.value) out.documents.push({ ...outcome.value.document, duplicate: outcome.value.duplicate });
        else out.rejected.push(outcome.value);
      });
      if (!out.documents.length && failures.length === out.rejected.length && failures.length) throw failures[0];
      if (tooMany) {
        out.rejected.push({ filename: null, status: 400, code: 'too_many_files', message: `at most ${limits.maxFiles} files per request; the rest were ignored` });
      }
      if (!out.documents.length) {
        if (!out.rejected.length) {
          throw new InputError({ code: 'no_files', message: 'the request has no file parts; send each file as a multipart part with a file name' });
        }
        const [first] = out.rejected;
        throw new AppError({
          status: first.status,
          code: first.code,
          message: out.rejected.map((r) => (r.filename !== null ? `${JSON.stringify(r.filename)}: ${r.message}` : r.message)).join('; '),
          details: out.rejected,
        });
      }
      return out;
    } catch (error) {
      req.unpipe(parser);
      req.resume();
      throw error;
    } finally {
      req.off('close', onClose);
    }
  }

  return {
    limits,
    ingest,
    upload,

    async ingestFile(knowledgeBaseId: string, input: IngestInput, caller: Caller): Promise<Ingested | Rejection> {
      return ingest(await access.require(knowledgeBaseId, caller, 'write', { action: `upload to knowledge base ${knowledgeBaseId}` }), input);
    },

    async get(id: string, caller: Caller): Promise<Document> {
      return publicDocument(await stored(id, caller));
    },

    async list(knowledgeBaseId: string, query: ListDocumentsQuery, caller: Caller): Promise<{ data: Document[]; next: string | null }> {
      await access.require(knowledgeBaseId, caller, 'read', { action: `read knowledge base ${knowledgeBaseId}` });
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
        throw new ConflictError({ code: 'document_finished', message: `document ${id} is already ${doc.status}; there is nothing to cancel` });
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
      const kb = await knowledgeBases.get(doc.knowledgeBaseId);
      await documents.delete(id);
      if (kb) await vectors.deleteDocuments(kb.vectorCollection, [id]);
      await blobs.delete(doc.blobKey);
    },
  };
}
