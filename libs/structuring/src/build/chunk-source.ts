import type { Identity } from '@llmp/contracts';
import { notFound, upstreamFailed } from '@llmp/core';
import type { ServiceClient } from '@llmp/auth';

export interface KnowledgeChunk {
  id: string;
  documentId: string;
  documentTitle: string;
  text: string;
  headingPath: string[];
}

/** Where builders read knowledge-base chunks, as the user they build for. */
export interface ChunkSource {
  /** Documents of the knowledge base still being processed. */
  pendingDocuments(knowledgeBaseId: string, identity: Identity, signal?: AbortSignal): Promise<number>;
  /** The knowledge base of this name that the platform itself owns (the demo), if any. */
  sharedKnowledgeBase(name: string, identity: Identity, signal?: AbortSignal): Promise<{ id: string } | null>;
  /** Every chunk of the knowledge base's ready documents, document by document, in order. */
  chunks(knowledgeBaseId: string, identity: Identity, signal?: AbortSignal): AsyncGenerator<KnowledgeChunk>;
}

const PAGE = 200;

/** Reads chunks from the document-ingestion service's API, never its tables. */
export function createIngestionChunkSource(client: ServiceClient): ChunkSource {
  const get = async <T>(identity: Identity, path: string, signal?: AbortSignal): Promise<T> => {
    const res = await client.request(identity, { path, signal });
    if (res.status === 404) {
      throw notFound({ code: 'knowledge_base_not_found', message: `the knowledge base does not exist or ${identity.username} may not read it (${path})` });
    }
    if (!res.ok) throw upstreamFailed({ code: 'ingestion_failed', message: `document-ingestion answered ${res.status} to ${path}: ${(await res.text()).slice(0, 300)}` });
    return (await res.json()) as T;
  };
  return {
    async pendingDocuments(knowledgeBaseId, identity, signal) {
      const kb = await get<{ documents: { processing: number } }>(identity, `/api/ingestion/knowledge-bases/${encodeURIComponent(knowledgeBaseId)}`, signal);
      return kb.documents.processing;
    },
    async sharedKnowledgeBase(name, identity, signal) {
      const list = await get<{ data: Array<{ id: string; name: string; ownerId: string | null }> }>(identity, '/api/ingestion/knowledge-bases', signal);
      return list.data.find((kb) => kb.name === name && kb.ownerId === null) ?? null;
    },
    async *chunks(knowledgeBaseId, identity, signal) {
      let after = '';
      for (;;) {
        const query = new URLSearchParams({ status: 'ready', limit: String(PAGE), ...(after ? { after } : {}) });
        const page = await get<{ data: Array<{ id: string; title: string }>; next: string | null }>(
          identity,
          `/api/ingestion/knowledge-bases/${encodeURIComponent(knowledgeBaseId)}/documents?${query}`,
          signal,
        );
        for (const document of page.data) {
          for (let offset = 0; ; offset += PAGE) {
            const chunks = await get<{ data: Array<{ id: string; text: string; headingPath: string[] }>; total: number }>(
              identity,
              `/api/ingestion/documents/${encodeURIComponent(document.id)}/chunks?limit=${PAGE}&offset=${offset}`,
              signal,
            );
            for (const chunk of chunks.data) yield { id: chunk.id, documentId: document.id, documentTitle: document.title, text: chunk.text, headingPath: chunk.headingPath };
            if (chunks.data.length < PAGE) break;
          }
        }
        if (!page.next) return;
        after = page.next;
      }
    },
  };
}
