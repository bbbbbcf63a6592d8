import { z } from 'zod';
import { serviceIdentity, type ServiceClient } from '@llmp/auth';
import type { Identity } from '@llmp/contracts';
import { upstreamFailed, upstreamTimeout } from '@llmp/core';

export const AGENTS_SERVICE = 'agent-deployment';

/** The part of a search hit an answer needs; other fields of the ingestion service's answer are ignored. */
const searchHitSchema = z.object({
  chunkId: z.string(),
  text: z.string(),
  score: z.number(),
  citation: z.object({
    documentId: z.string(),
    knowledgeBaseId: z.string(),
    title: z.string(),
    filename: z.string(),
    page: z.number().nullable(),
    pageEnd: z.number().nullable(),
    heading: z.string().nullable(),
    startOffset: z.number(),
    endOffset: z.number(),
    score: z.number(),
  }),
});
const searchResponseSchema = z.object({ results: z.array(searchHitSchema) });
export type Passage = z.infer<typeof searchHitSchema>;

/** What agents need from document ingestion, over its HTTP API only. */
export interface KnowledgeSource {
  /** Whether `identity` may read the knowledge base (a user choosing it for an agent). */
  canRead(identity: Identity, knowledgeBaseId: string): Promise<boolean>;
  /** Best passages for `query`, as the platform itself: who may ask was settled when the agent was published. */
  search(query: string, knowledgeBaseIds: string[], topK: number, signal?: AbortSignal): Promise<Passage[]>;
}

export function createIngestionKnowledgeSource(client: ServiceClient): KnowledgeSource {
  const self = serviceIdentity(AGENTS_SERVICE);
  // Both calls sit on a user's path (every answer retrieves), so they use the client's lighter JSON form.
  const call = async <T>(identity: Identity, path: string, json?: unknown, signal?: AbortSignal) => {
    try {
      return await client.json<T>(identity, { method: json === undefined ? 'GET' : 'POST', path, json, signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      if ((error as Error).name === 'TimeoutError') throw upstreamTimeout({ code: 'retrieval_timeout', message: 'the knowledge base search did not answer in time', cause: error });
      throw upstreamFailed({ code: 'retrieval_unavailable', message: `the knowledge base search is not reachable (${(error as Error).message})`, cause: error });
    }
  };
  return {
    async canRead(identity, knowledgeBaseId) {
      const { status } = await call(identity, `/api/ingestion/knowledge-bases/${encodeURIComponent(knowledgeBaseId)}`);
      if (status === 200) return true;
      if (status === 404 || status === 403) return false;
      throw upstreamFailed({ code: 'retrieval_unavailable', message: `document ingestion answered ${status} when asked about knowledge base ${knowledgeBaseId}` });
    },
    async search(query, knowledgeBaseIds, topK, signal) {
      const { status, body } = await call<{ error?: { message?: string } }>(self, '/api/ingestion/search', { query, knowledgeBaseIds, topK }, signal);
      if (status !== 200) {
        const reason = body?.error?.message ?? `status ${status}`;
        throw upstreamFailed({ code: 'retrieval_failed', message: `the knowledge base search failed: ${reason}` });
      }
      const parsed = searchResponseSchema.safeParse(body);
      if (!parsed.success) throw upstreamFailed({ code: 'retrieval_failed', message: 'the knowledge base search answered in an unexpected shape' });
      return parsed.data.results;
    },
  };
}
