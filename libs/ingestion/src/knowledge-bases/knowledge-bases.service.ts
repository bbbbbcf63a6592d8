import { isDeepStrictEqual } from 'node:util';
import {
  chunkingSettingsSchema,
  SYSTEM,
  type Caller,
  type CreateKnowledgeBase,
  type EmbedderSpec,
  type KnowledgeBase,
  type Member,
  type MemberRole,
  type ReindexRequest,
  type ReindexResult,
  type UpdateKnowledgeBase,
} from '@llmp/contracts';
import { invalid, newId, notFound, type Logger } from '@llmp/core';
import type { BlobStore } from '../blob-store/blob-store';
import { isFinal } from '../documents/document';
import type { DocumentStore } from '../documents/document.store';
import type { EmbedderCatalog } from '../embedding/embedder-catalog';
import type { DocumentJobs } from '../pipeline/document-jobs';
import type { InTransaction } from '../stores';
import type { VectorStore } from '../vector-store/vector-store';
import type { KnowledgeBaseAccess } from './knowledge-base-access';
import { knowledgeBaseNameTaken, knowledgeBaseNotFound } from './knowledge-base.errors';
import type { KnowledgeBaseStore } from './knowledge-base.store';

export interface KnowledgeBasesServiceDeps {
  knowledgeBases: KnowledgeBaseStore;
  documents: DocumentStore;
  transaction: InTransaction;
  blobs: BlobStore;
  vectors: VectorStore;
  embedders: EmbedderCatalog;
  jobs: DocumentJobs;
  access: KnowledgeBaseAccess;
  log: Logger;
}

/** Each embedder generation of a knowledge base has its own vector collection. */
function collectionName(id: string, revision: number): string {
  return `${id}_r${revision}`;
}

export type KnowledgeBasesService = ReturnType<typeof createKnowledgeBasesService>;

export function createKnowledgeBasesService({ knowledgeBases, documents, transaction, blobs, vectors, embedders, jobs, access, log }: KnowledgeBasesServiceDeps) {
  function checkEmbedder(spec: EmbedderSpec): void {
    const problem = embedders.problem(spec);
    if (problem) throw invalid({ code: 'unknown_embedder', message: `body.embedder: ${problem}` });
  }

  const get = (id: string, caller: Caller): Promise<KnowledgeBase> => access.require(id, caller, 'read', { action: `read knowledge base ${id}` });

  return {
    get,
    /** Only the knowledge bases `caller` may read. */
    list: (caller: Caller) => knowledgeBases.list(caller),
    embedders: () => ({ data: embedders.list(), default: embedders.defaultSpec }),

    /** The caller owns what they create; what the platform creates for itself has no owner. */
    async create(body: CreateKnowledgeBase, caller: Caller): Promise<KnowledgeBase> {
      const embedder = body.embedder ?? embedders.defaultSpec;
      checkEmbedder(embedder);
      const ownerId = caller === SYSTEM ? null : caller.userId;
      if (await knowledgeBases.findByName(body.name, ownerId)) throw knowledgeBaseNameTaken(body.name);
      const id = newId('kb');
      const vectorCollection = collectionName(id, 1);
      await vectors.ensureCollection(vectorCollection, { dimension: embedder.dimension });
      try {
        return await knowledgeBases.insert({
          id,
          name: body.name,
          description: body.description,
          chunking: body.chunking ?? chunkingSettingsSchema.parse({}),
          embedder,
          vectorCollection,
          createdBy: ownerId,
          ownerId,
          visibility: body.visibility,
        });
      } catch (error) {
        await vectors.dropCollection(vectorCollection).catch(() => undefined);
        throw error;
      }
    },

    /**
     * New chunking or embedder settings bump the revision, which makes every
     * document indexed before stale; a new embedder also gets a fresh vector
     * collection (the old vectors mean nothing to it) and the old one is dropped.
     */
    async update(id: string, body: UpdateKnowledgeBase, caller: Caller): Promise<KnowledgeBase> {
      await access.require(id, caller, 'administer', { action: `change knowledge base ${id}` });
      if (body.embedder) checkEmbedder(body.embedder);
      let dropped: string | null = null;
      let created: { name: string; dimension: number } | null = null;
      const updated = await transaction(async (tx) => {
        const kb = await tx.knowledgeBases.getForUpdate(id);
        if (!kb) throw knowledgeBaseNotFound(id);
        const chunkingChanged = body.chunking !== undefined && !isDeepStrictEqual(body.chunking, kb.chunking);
        const embedderChanged = body.embedder !== undefined && !isDeepStrictEqual(body.embedder, kb.embedder);
        if (body.name && body.name.toLowerCase() !== kb.name.toLowerCase()) {
          const other = await tx.knowledgeBases.findByName(body.name, kb.ownerId);
          if (other && other.id !== id) throw knowledgeBaseNameTaken(body.name);
        }
        let vectorCollection: string | undefined;
        if (embedderChanged) {
          vectorCollection = collectionName(id, kb.settingsRevision + 1);
          created = { name: vectorCollection, dimension: body.embedder!.dimension };
          dropped = kb.vectorCollection;
        }
        return tx.knowledgeBases.update(id, {
          name: body.name,
          description: body.description,
          chunking: chunkingChanged ? body.chunking : undefined,
          embedder: embedderChanged ? body.embedder : undefined,
          vectorCollection,
          visibility: body.visibility,
          bumpRevision: chunkingChanged || embedderChanged,
        });
      });
      if (created) {
        const { name, dimension } = created as { name: string; dimension: number };
        await vectors.ensureCollection(name, { dimension });
      }
      if (dropped) await vectors.dropCollection(dropped);
      return (await knowledgeBases.get(id)) ?? updated!;
    },

    /** Cancels its work, then removes its documents, chunks, vectors and files. */
    async delete(id: string, caller: Caller): Promise<void> {
      const kb = await access.require(id, caller, 'administer', { action: `delete knowledge base ${id}` });
      for (const doc of await documents.listAll(id)) {
        if (isFinal(doc.status)) continue;
        await documents.finish(doc.id, 'cancelled', { code: 'deleted', message: 'the knowledge base was deleted' });
        if (doc.jobId) await jobs.cancel(doc.jobId).catch((err) => log.warn({ err, documentId: doc.id }, 'could not cancel a job'));
      }
      await knowledgeBases.delete(id);
      await vectors.dropCollection(kb.vectorCollection);
      await blobs.deletePrefix(id);
    },

    /** Queues the stale and failed documents again (or every one, or those named). */
    async reindex(id: string, body: ReindexRequest, caller: Caller): Promise<ReindexResult> {
      await access.require(id, caller, 'write', { action: `reindex knowledge base ${id}` });
      const result: ReindexResult = { queued: [], skipped: [] };
      const candidates = await documents.listToReindex(id, { all: body.all, documentIds: body.documentIds });
      if (body.documentIds) {
        const found = new Set(candidates.map((d) => d.id));
        const missing = body.documentIds.filter((d) => !found.has(d));
        if (missing.length) {
          throw notFound({ code: 'document_not_found', message: `not in knowledge base ${id}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}` });
        }
      }
      for (const doc of candidates) {
        if (!(await documents.requeue(doc.id))) {
          result.skipped.push(doc.id);
          continue;
        }
        await documents.setJob(doc.id, await jobs.enqueue(doc.id));
        result.queued.push(doc.id);
      }
      return result;
    },

    async members(id: string, caller: Caller): Promise<{ data: Member[] }> {
      await get(id, caller);
      return { data: await knowledgeBases.listMembers(id) };
    },

    /** Adds a member or changes their role; the owner needs no membership. */
    async setMember(id: string, userId: string, role: MemberRole, caller: Caller): Promise<Member> {
      const kb = await access.require(id, caller, 'administer', { action: `change the members of knowledge base ${id}` });
      if (userId === kb.ownerId) {
        throw invalid({ code: 'owner_is_not_a_member', message: `params.userId: ${userId} owns knowledge base ${id} already` });
      }
      return knowledgeBases.setMember(id, userId, role, caller === SYSTEM ? null : caller.userId);
    },

    async removeMember(id: string, userId: string, caller: Caller): Promise<void> {
      await access.require(id, caller, 'administer', { action: `change the members of knowledge base ${id}` });
      if (!(await knowledgeBases.removeMember(id, userId))) {
        throw notFound({ code: 'member_not_found', message: `${userId} is not a member of knowledge base ${id}` });
      }
    },
  };
}
