import { z } from 'zod';
import { route, type RouteSpec } from '@llmp/http';
import { listDocumentsQuery } from './document';
import type { DocumentsService } from './documents.service';

const chunksQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

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
        const result = await documents.upload(params.id, req, identity!);
        // 207 when some files were refused: the body says, file by file, which and why.
        const status = result.rejected.length ? 207 : result.documents.some((d) => !d.duplicate) ? 201 : 200;
        res.status(status).json(result);
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
      query: chunksQuery,
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
