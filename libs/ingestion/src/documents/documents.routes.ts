import { listChunksQuery, listDocumentsQuery, type RejectedFile, type UploadResult } from '@llmp/contracts';
import { AppError, InputError, route, type RouteSpec } from '@llmp/http';
import type { DocumentsService } from './documents.service';
import { multipartUpload } from './multipart-upload';

/** 201 when a file was stored, 200 when every file was there already, 207 when some were refused. */
function uploadStatus(result: UploadResult): number {
  if (result.rejected.length) return 207;
  return result.documents.some((d) => !d.duplicate) ? 201 : 200;
}

/** When no file was stored: the first refusal's status, with every refusal in the details. */
function nothingStored(rejected: RejectedFile[]): AppError {
  if (!rejected.length) {
    return new InputError({ code: 'no_files', message: 'the request has no file parts; send each file as a multipart part with a file name' });
  }
  const [first] = rejected;
  return new AppError({
    status: first.status,
    code: first.code,
    message: rejected.map((r) => (r.filename !== null ? `${JSON.stringify(r.filename)}: ${r.message}` : r.message)).join('; '),
    details: rejected,
  });
}

export function documentsRoutes(documents: DocumentsService): RouteSpec[] {
  const tag = 'ingestion';
  return [
    route({
      method: 'post',
      path: '/api/ingestion/knowledge-bases/:id/documents',
      tag,
      summary:
        'Upload files (multipart/form-data, one part per file; an optional "metadata" JSON field before them applies to the files after it). ' +
        'Each file is streamed to storage, typed by its content and queued; the same bytes twice return the existing document. ' +
        'Answers 201 (or 200 when every file was already stored), 207 when some files were refused (listed in "rejected" with the reason), ' +
        'and the error of the first refused file when none was accepted.',
      access: 'user',
      handle: async ({ params, req, res, identity }) => {
        const upload = multipartUpload(req, documents.limits);
        const result = await documents.upload(params.id, upload.files, identity!);
        if (upload.tooManyFiles) {
          result.rejected.push({ filename: null, status: 400, code: 'too_many_files', message: `at most ${documents.limits.maxFiles} files per request; the rest were ignored` });
        }
        if (!result.documents.length) throw nothingStored(result.rejected);
        res.status(uploadStatus(result)).json(result);
      },
    }),
    route({
      method: 'get',
      path: '/api/ingestion/knowledge-bases/:id/documents',
      tag,
      summary: 'List the documents of a knowledge base with their pipeline status',
      access: 'user',
      query: listDocumentsQuery,
      handle: ({ params, query, identity }) => documents.list(params.id, query, identity!),
    }),
    route({
      method: 'get',
      path: '/api/ingestion/documents/:id',
      tag,
      summary: 'Get a document: status, per-stage timings, counts, progress and any error',
      access: 'user',
      handle: ({ params, identity }) => documents.get(params.id, identity!),
    }),
    route({
      method: 'get',
      path: '/api/ingestion/documents/:id/chunks',
      tag,
      summary: "A document's chunks with their heading path, pages and offsets",
      access: 'user',
      query: listChunksQuery,
      handle: ({ params, query, identity }) => documents.chunks(params.id, query, identity!),
    }),
    route({
      method: 'post',
      path: '/api/ingestion/documents/:id/cancel',
      tag,
      summary: "Stop processing a document; its running work is aborted; owner, editor or manager",
      access: 'user',
      handle: ({ params, identity }) => documents.cancel(params.id, identity!),
    }),
    route({
      method: 'delete',
      path: '/api/ingestion/documents/:id',
      tag,
      summary: 'Delete a document with its chunks, vectors and file; owner, editor or manager',
      access: 'user',
      handle: async ({ params, res, identity }) => {
        await documents.delete(params.id, identity!);
        res.status(204).end();
      },
    }),
  ];
}
