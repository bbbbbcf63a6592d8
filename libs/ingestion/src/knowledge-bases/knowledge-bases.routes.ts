import { route, type RouteSpec } from '@llmp/http';
import type { KnowledgeBase } from './knowledge-base';
import { createKnowledgeBaseBody, reindexBody, updateKnowledgeBaseBody } from './knowledge-base';
import type { KnowledgeBasesService } from './knowledge-bases.service';

export function knowledgeBasesRoutes(knowledgeBases: KnowledgeBasesService, loadDemo: () => Promise<{ knowledgeBase: KnowledgeBase; created: boolean }>): RouteSpec[] {
  const tag = 'ingestion';
  return [
    route({
      method: 'post',
      path: '/api/ingestion/demo',
      tag,
      summary: 'Load the "Demo" knowledge base with sample documents, once (the staging seed calls this)',
      access: 'admin',
      handle: async ({ res }) => {
        const result = await loadDemo();
        res.status(result.created ? 201 : 200).json(result);
      },
    }),
    route({
      method: 'get',
      path: '/api/ingestion/embedders',
      tag,
      summary: 'Embedders a knowledge base can pin, and the default',
      access: 'user',
      handle: () => knowledgeBases.embedders(),
    }),
    route({
      method: 'get',
      path: '/api/ingestion/knowledge-bases',
      tag,
      summary: 'List knowledge bases with their document counts',
      access: 'user',
      handle: async () => ({ data: await knowledgeBases.list() }),
    }),
    route({
      method: 'post',
      path: '/api/ingestion/knowledge-bases',
      tag,
      summary: 'Create a knowledge base, pinning its chunking settings and embedder',
      access: 'manager',
      status: 201,
      body: createKnowledgeBaseBody,
      handle: ({ body, identity }) => knowledgeBases.create(body, identity),
    }),
    route({
      method: 'get',
      path: '/api/ingestion/knowledge-bases/:id',
      tag,
      summary: 'Get one knowledge base',
      access: 'user',
      handle: ({ params }) => knowledgeBases.get(params.id),
    }),
    route({
      method: 'patch',
      path: '/api/ingestion/knowledge-bases/:id',
      tag,
      summary: 'Rename or re-describe a knowledge base, or change its chunking or embedder (its documents become stale)',
      access: 'manager',
      body: updateKnowledgeBaseBody,
      handle: ({ params, body }) => knowledgeBases.update(params.id, body),
    }),
    route({
      method: 'delete',
      path: '/api/ingestion/knowledge-bases/:id',
      tag,
      summary: 'Delete a knowledge base with its documents, chunks, vectors and files',
      access: 'manager',
      handle: async ({ params, res }) => {
        await knowledgeBases.delete(params.id);
        res.status(204).end();
      },
    }),
    route({
      method: 'post',
      path: '/api/ingestion/knowledge-bases/:id/reindex',
      tag,
      summary: 'Rebuild stale and failed documents (or all, or the ones named) with the current settings',
      access: 'manager',
      status: 202,
      body: reindexBody,
      handle: ({ params, body }) => knowledgeBases.reindex(params.id, body),
    }),
  ];
}
