import { accessLevel, satisfiesAccess, seesEverything, SYSTEM, type AccessLevel, type Caller, type KnowledgeBase } from '@llmp/contracts';
import { forbidden } from '@llmp/core';
import { knowledgeBaseNotFound } from './knowledge-base.errors';
import type { KnowledgeBaseSettings, KnowledgeBaseStore } from './knowledge-base.store';

export interface RequireOptions {
  /** What the caller tried, for the refusal: "upload to knowledge base kb_…". */
  action: string;
  /** What a caller who may not see it is told; by default, that the knowledge base does not exist. */
  notFound?: () => Error;
}

export interface KnowledgeBaseAccess {
  /**
   * The knowledge base once `caller` holds `needed` on it. One they cannot
   * see does not exist for them; one they see but may not change is refused
   * with `access_denied`.
   */
  require(id: string, caller: Caller, needed: Exclude<AccessLevel, 'none'>, options: RequireOptions): Promise<KnowledgeBase>;
  /** `require` for a path that needs only the settings (a search, on every agent's answer): no document counts are read. */
  requireSettings(id: string, caller: Caller, needed: Exclude<AccessLevel, 'none'>, options: RequireOptions): Promise<KnowledgeBaseSettings>;
}

/**
 * The one gate in front of every knowledge base and what it holds: the
 * documents, chunks, uploads and search hits of a knowledge base are only
 * as visible as the knowledge base itself.
 */
export function createKnowledgeBaseAccess(knowledgeBases: KnowledgeBaseStore): KnowledgeBaseAccess {
  async function check<T extends KnowledgeBaseSettings>(
    read: (id: string) => Promise<T | null>,
    id: string,
    caller: Caller,
    needed: Exclude<AccessLevel, 'none'>,
    { action, notFound = () => knowledgeBaseNotFound(id) }: RequireOptions,
  ): Promise<T> {
    // Both reads at once: a request checks access before anything else, so this round trip is on every answer's path.
    // Membership is not read for a caller who sees everything (managers, the platform's own services): it cannot change their level.
    const [kb, memberRole] = await Promise.all([read(id), caller === SYSTEM || seesEverything(caller) ? null : knowledgeBases.memberRole(id, caller.userId)]);
    if (!kb) throw notFound();
    const level = accessLevel(caller, { ownerId: kb.ownerId, visibility: kb.visibility, memberRole });
    if (level === 'none') throw notFound();
    if (!satisfiesAccess(level, needed)) {
      const who = needed === 'write' ? 'its owner, an editor or a manager' : 'its owner or a manager';
      throw forbidden({ code: 'access_denied', message: `only ${who} may ${action}; you may ${level === 'write' ? 'edit its contents' : 'only read it'}` });
    }
    return kb;
  }

  return {
    require: (id, caller, needed, options) => check((kbId) => knowledgeBases.get(kbId), id, caller, needed, options),
    requireSettings: (id, caller, needed, options) => check((kbId) => knowledgeBases.getSettings(kbId), id, caller, needed, options),
  };
}
