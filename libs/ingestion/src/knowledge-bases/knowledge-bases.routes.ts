import { z } from 'zod';
import { createKnowledgeBaseBody, reindexBody, setMemberBody, updateKnowledgeBaseBody, userIdSchema, type KnowledgeBase } from '@llmp/contracts';
import { parse, route, type RouteSpec } from '@llmp/http';
import type { KnowledgeBasesService } from './knowledge-bases.service';

const memberParams = z.object({ userId: userIdSchema });
const memberId = (params: Record<string, string>) => parse(memberParams, { userId: params.userId }, 'params').userId;

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
      summary: 'List the knowledge bases you may read (managers: all) with their document counts',
      access: 'user',
      handle: async ({ identity }) => ({ data: await knowledgeBases.list(identity!) }),
    }),
    route({
      method: 'post',
      path: '/api/ingestion/knowledge-bases',
      tag,
      summary: 'Create a knowledge base you own (private unless "visibility" says organisation), pinning its chunking settings and embedder',
      access: 'user',
      status: 201,
      body: createKnowledgeBaseBody,
      handle: ({ body, identity }) => knowledgeBases.create(body, identity!),
    }),
    route({
      method: 'get',
      path: '/api/ingestion/knowledge-bases/:id',
      tag,
      summary: 'Get one knowledge base',
      access: 'user',
      handle: ({ params, identity }) => knowledgeBases.get(params.id, identity!),
    }),
    route({
      method: 'patch',
      path: '/api/ingestion/knowledge-bases/:id',
      tag,
      summary: 'Rename or re-describe a knowledge base, change its visibility, or its chunking or embedder (its documents become stale); owner or manager',
      access: 'user',
      body: updateKnowledgeBaseBody,
      handle: ({ params, body, identity }) => knowledgeBases.update(params.id, body, identity!),
    }),
    route({
      method: 'delete',
      path: '/api/ingestion/knowledge-bases/:id',
      tag,
      summary: 'Delete a knowledge base with its documents, chunks, vectors and files; owner or manager',
      access: 'user',
      handle: async ({ params, res, identity }) => {
        await knowledgeBases.delete(params.id, identity!);
        res.status(204).end();
      },
    }),
    route({
      method: 'post',
      path: '/api/ingestion/knowledge-bases/:id/reindex',
      tag,
      summary: 'Rebuild stale and failed documents (or all, or the ones named) with the current settings; owner, editor or manager',
      access: 'user',
      status: 202,
      body: reindexBody,
      handle: ({ params, body, identity }) => knowledgeBases.reindex(params.id, body, identity!),
    }),
    route({
      method: 'get',
      path: '/api/ingestion/knowledge-bases/:id/members',
      tag,
      summary: 'Who besides its owner may read (viewer) or also change (editor) a knowledge base',
      access: 'user',
      handle: ({ params, identity }) => knowledgeBases.members(params.id, identity!),
    }),
    route({
      method: 'put',
      path: '/api/ingestion/knowledge-bases/:id/members/:userId',
      tag,
      summary: 'Add a member to a knowledge base or change their role (viewer, editor); owner or manager',
      access: 'user',
      body: setMemberBody,
      handle: ({ params, body, identity }) => knowledgeBases.setMember(params.id, memberId(params), body.role, identity!),
    }),
    route({
      method: 'delete',
      path: '/api/ingestion/knowledge-bases/:id/members/:userId',
      tag,
      summary: 'Remove a member from a knowledge base; owner or manager',
      access: 'user',
      handle: async ({ params, res, identity }) => {
        await knowledgeBases.removeMember(params.id, memberId(params), identity!);
        res.status(204).end();
      },
    }),
  ];
}
