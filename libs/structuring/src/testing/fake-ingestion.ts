import { internalAuthenticator } from '@llmp/auth';
import { roleSatisfies, type Identity } from '@llmp/contracts';
import { notFound, sleep, type Logger } from '@llmp/core';
import { createHttpApp, listen, route } from '@llmp/http';

export interface FakeKnowledgeBase {
  name?: string;
  ownerId: string | null;
  /** Documents still processing: builders wait until none are. */
  processing: number;
  documents: Array<{ id: string; title: string; chunks: Array<{ id: string; text: string; headingPath: string[] }> }>;
}

export interface FakeIngestion {
  url: string;
  knowledgeBases: Map<string, FakeKnowledgeBase>;
  /** Who called which path, as the signed identity said. */
  calls: Array<{ path: string; identity: Identity | null }>;
  /** Delay before each chunk page is answered, to catch builds mid-way. */
  chunkDelayMs: number;
  close(): Promise<void>;
}

/**
 * The three read routes of document-ingestion that builders use, answering
 * from memory behind the real signed-identity check: only the owner, a
 * manager or an admin may read a knowledge base, like a private one.
 */
export async function startFakeIngestion({ secret, log }: { secret: string; log: Logger }): Promise<FakeIngestion> {
  const knowledgeBases = new Map<string, FakeKnowledgeBase>();
  const calls: FakeIngestion['calls'] = [];
  const state = { chunkDelayMs: 0 };
  const readable = (id: string, identity: Identity | null) => {
    const kb = knowledgeBases.get(id);
    if (!kb || !identity || !(roleSatisfies(identity.role, 'manager') || kb.ownerId === identity.userId)) {
      throw notFound({ code: 'knowledge_base_not_found', message: `knowledge base ${id} does not exist` });
    }
    return kb;
  };
  const documentOf = (id: string, identity: Identity | null) => {
    for (const [kbId, kb] of knowledgeBases) {
      const doc = kb.documents.find((d) => d.id === id);
      if (doc) return readable(kbId, identity) && doc;
    }
    throw notFound({ code: 'document_not_found', message: `document ${id} does not exist` });
  };
  const app = createHttpApp({
    service: 'document-ingestion',
    log,
    authenticate: internalAuthenticator(secret),
    routes: [
      route({
        method: 'get',
        path: '/api/ingestion/knowledge-bases',
        tag: 'ingestion',
        summary: 'knowledge bases',
        access: 'user',
        handle: ({ identity, req }) => {
          calls.push({ path: req.originalUrl, identity });
          const data = [...knowledgeBases].filter(([id]) => {
            try {
              return readable(id, identity);
            } catch {
              return false;
            }
          });
          return { data: data.map(([id, kb]) => ({ id, name: kb.name ?? id, ownerId: kb.ownerId })) };
        },
      }),
      route({
        method: 'get',
        path: '/api/ingestion/knowledge-bases/:id',
        tag: 'ingestion',
        summary: 'kb',
        access: 'user',
        handle: ({ params, identity, req }) => {
          calls.push({ path: req.originalUrl, identity });
          const kb = readable(params.id, identity);
          return { id: params.id, documents: { total: kb.documents.length + kb.processing, processing: kb.processing } };
        },
      }),
      route({
        method: 'get',
        path: '/api/ingestion/knowledge-bases/:id/documents',
        tag: 'ingestion',
        summary: 'documents',
        access: 'user',
        handle: ({ params, identity, req }) => {
          calls.push({ path: req.originalUrl, identity });
          const kb = readable(params.id, identity);
          const limit = Number(req.query.limit ?? 100);
          const after = typeof req.query.after === 'string' ? req.query.after : '';
          const data = kb.documents.filter((d) => d.id > after).slice(0, limit).map(({ id, title }) => ({ id, title, status: 'ready' }));
          return { data, next: data.length === limit ? data[data.length - 1].id : null };
        },
      }),
      route({
        method: 'get',
        path: '/api/ingestion/documents/:id/chunks',
        tag: 'ingestion',
        summary: 'chunks',
        access: 'user',
        handle: async ({ params, identity, req }) => {
          calls.push({ path: req.originalUrl, identity });
          const doc = documentOf(params.id, identity);
          if (state.chunkDelayMs) await sleep(state.chunkDelayMs);
          const limit = Number(req.query.limit ?? 100);
          const offset = Number(req.query.offset ?? 0);
          return { data: doc.chunks.slice(offset, offset + limit), total: doc.chunks.length };
        },
      }),
    ],
  });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  return {
    url: server.url,
    knowledgeBases,
    calls,
    get chunkDelayMs() {
      return state.chunkDelayMs;
    },
    set chunkDelayMs(ms: number) {
      state.chunkDelayMs = ms;
    },
    close: () => server.close(1000),
  };
}
