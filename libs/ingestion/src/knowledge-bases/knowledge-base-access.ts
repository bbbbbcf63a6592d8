import { SYSTEM, type AccessLevel, type Caller } from '@llmp/contracts';
import type { Db } from '@llmp/db';
import { NotFoundError, requireAccess } from '@llmp/http';
import type { KnowledgeBase } from './knowledge-base';
import { createKnowledgeBasesRepository } from './knowledge-bases.repository';

export const knowledgeBaseNotFound = (id: string) =>
  new NotFoundError({ code: 'knowledge_base_not_found', message: `knowledge base ${id} does not exist` });

export interface RequireOptions {
  /** What the caller tried, for the 403: "upload to knowledge base kb_…". */
  action: string;
  /** The 404 when the caller may not see it; by default, the knowledge base does not exist. */
  notFound?: () => Error;
}

export type KnowledgeBaseAccess = ReturnType<typeof createKnowledgeBaseAccess>;

/**
 * The one gate in front of every knowledge base and what it holds: the
 * documents, chunks, uploads and search hits of a knowledge base are only
 * as visible as the knowledge base itself.
 */
export function createKnowledgeBaseAccess(db: Db) {
  const repo = createKnowledgeBasesRepository(db);
  return {
    /** The knowledge base once `caller` holds `needed` on it: 404 when they cannot see it, 403 when they see it but may not do this. */
    async require(id: string, caller: Caller, needed: Exclude<AccessLevel, 'none'>, { action, notFound = () => knowledgeBaseNotFound(id) }: RequireOptions): Promise<KnowledgeBase> {
      const kb = await repo.get(id);
      if (!kb) throw notFound();
      const memberRole = caller === SYSTEM ? null : await repo.memberRole(id, caller.userId);
      requireAccess(caller, { ownerId: kb.ownerId, visibility: kb.visibility, memberRole }, needed, { action, notFound });
      return kb;
    },
  };
}
