import { generateSecret, hashSecret } from '@llmp/auth';
import {
  accessLevel,
  AGENT_KEY_PREFIX,
  satisfiesAccess,
  type AccessLevel,
  type Agent,
  type AgentConfig,
  type AgentKey,
  type AgentVersion,
  type Caller,
  type CreateAgentInput,
  type CreateAgentKeyInput,
  type Identity,
  type UpdateDraftInput,
  type UsageQuery,
  type UsageSummaryRow,
  type VersionDiffEntry,
} from '@llmp/contracts';
import { forbidden, invalid, newId, notFound, type Logger } from '@llmp/core';
import type { KnowledgeSource } from '../ingestion-client';
import type { AgentKeyStore } from '../keys/agent-key.store';
import type { UsageStore } from '../usage/usage.store';
import type { AgentStore, VersionRef } from './agent.store';
import { diffConfigs } from './version-diff';

export interface AgentsServiceDeps {
  agents: AgentStore;
  keys: AgentKeyStore;
  usage: UsageStore;
  knowledge: KnowledgeSource;
  log: Logger;
}

export interface CreatedAgentKey extends AgentKey {
  /** The key itself, shown once: only its hash is stored. */
  key: string;
}

export type AgentsService = ReturnType<typeof createAgentsService>;

const agentNotFound = (id: string) => notFound({ code: 'agent_not_found', message: `agent ${id} does not exist or you may not see it` });

export function createAgentsService({ agents, keys, usage, knowledge }: AgentsServiceDeps) {
  /** 404 for agents the caller may not see, 403 for those they see but may not change. */
  async function withAccess(caller: Caller, id: string, needed: Exclude<AccessLevel, 'none'>, action: string): Promise<Agent> {
    const agent = await agents.get(id);
    if (!agent) throw agentNotFound(id);
    const memberRole = caller === 'system' ? null : await agents.memberRole(id, caller.userId);
    const level = accessLevel(caller, { ownerId: agent.ownerId, visibility: agent.visibility, memberRole });
    if (level === 'none') throw agentNotFound(id);
    if (!satisfiesAccess(level, needed)) throw forbidden({ code: 'access_denied', message: `only the agent's owner or a manager may ${action}` });
    return agent;
  }

  /** A user may build an agent only over knowledge bases they can read themselves. */
  async function checkKnowledgeBases(caller: Caller, config: AgentConfig): Promise<void> {
    if (caller === 'system') return;
    for (const [index, id] of config.knowledgeBaseIds.entries()) {
      if (!(await knowledge.canRead(caller, id))) {
        throw invalid({
          code: 'knowledge_base_not_found',
          message: `body.config.knowledgeBaseIds[${index}]: knowledge base ${id} does not exist or you may not read it`,
          details: { field: `config.knowledgeBaseIds[${index}]` },
        });
      }
    }
  }

  async function versionOf(agent: Agent, ref: VersionRef): Promise<AgentVersion> {
    const version = await agents.getVersion(agent.id, ref);
    if (!version) throw notFound({ code: 'version_not_found', message: `agent ${agent.name} has no version ${ref}` });
    return version;
  }

  const ownerOf = (caller: Caller) => (caller === 'system' ? null : caller.userId);

  return {
    async create(input: CreateAgentInput, caller: Caller): Promise<Agent> {
      await checkKnowledgeBases(caller, input.config);
      return agents.insert({ id: newId('agent'), name: input.name, description: input.description, ownerId: ownerOf(caller), visibility: input.visibility, draft: input.config });
    },

    list: (caller: Caller) => agents.list(caller),

    get: (id: string, caller: Caller) => withAccess(caller, id, 'read', 'read it'),

    async updateDraft(id: string, changes: UpdateDraftInput, caller: Caller): Promise<Agent> {
      await withAccess(caller, id, 'write', 'edit its draft');
      if (changes.config) await checkKnowledgeBases(caller, changes.config);
      return agents.updateDraft(id, { description: changes.description, visibility: changes.visibility, draft: changes.config });
    },

    /** Freezes the draft as a new immutable version and sends traffic to it. */
    async publish(id: string, caller: Caller): Promise<AgentVersion> {
      const agent = await withAccess(caller, id, 'write', 'publish it');
      if (agent.archivedAt) throw invalid({ code: 'agent_archived', message: `agent ${agent.name} is archived; it cannot be published` });
      return agents.publish(agent.id, agent.draft, ownerOf(caller), newId('agv'));
    },

    /** Sends traffic back to an earlier version; the draft stays as it is. */
    async rollback(id: string, ref: VersionRef, caller: Caller): Promise<Agent> {
      const agent = await withAccess(caller, id, 'write', 'roll it back');
      const version = await versionOf(agent, ref);
      await agents.setPublished(agent.id, version.id);
      return (await agents.get(agent.id))!;
    },

    async versions(id: string, caller: Caller): Promise<AgentVersion[]> {
      const agent = await withAccess(caller, id, 'read', 'read it');
      return agents.listVersions(agent.id);
    },

    async version(id: string, ref: VersionRef, caller: Caller): Promise<AgentVersion> {
      return versionOf(await withAccess(caller, id, 'read', 'read it'), ref);
    },

    async diff(id: string, from: VersionRef, to: VersionRef, caller: Caller): Promise<{ from: number; to: number; changes: VersionDiffEntry[] }> {
      const agent = await withAccess(caller, id, 'read', 'read it');
      const [a, b] = [await versionOf(agent, from), await versionOf(agent, to)];
      return { from: a.number, to: b.number, changes: diffConfigs(a.config, b.config) };
    },

    async archive(id: string, caller: Caller): Promise<Agent> {
      await withAccess(caller, id, 'administer', 'archive it');
      return agents.archive(id);
    },

    async createKey(id: string, input: CreateAgentKeyInput, caller: Caller): Promise<CreatedAgentKey> {
      const agent = await withAccess(caller, id, 'administer', 'create keys for it');
      const secret = generateSecret(AGENT_KEY_PREFIX);
      const key = await keys.insert({
        id: newId('agk'),
        agentId: agent.id,
        name: input.name,
        prefix: secret.slice(0, AGENT_KEY_PREFIX.length + 7),
        secretHash: hashSecret(secret),
        rpm: input.rpm ?? null,
        tpm: input.tpm ?? null,
        createdBy: ownerOf(caller),
      });
      return { ...key, key: secret };
    },

    async listKeys(id: string, caller: Caller): Promise<AgentKey[]> {
      await withAccess(caller, id, 'administer', 'see its keys');
      return keys.list(id);
    },

    async revokeKey(id: string, keyId: string, caller: Caller): Promise<AgentKey> {
      await withAccess(caller, id, 'administer', 'revoke its keys');
      const key = await keys.revoke(id, keyId);
      if (!key) throw notFound({ code: 'key_not_found', message: `agent ${id} has no key ${keyId}` });
      return key;
    },

    usage: (query: UsageQuery, caller: Identity): Promise<UsageSummaryRow[]> => usage.summary(caller, query),
  };
}
