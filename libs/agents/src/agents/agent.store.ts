import type { Agent, AgentConfig, AgentVersion, Caller, MemberRole, Visibility } from '@llmp/contracts';
import { conflict } from '@llmp/core';
import { readableBy, type Db } from '@llmp/db';
import { AGENTS_CHANGED_CHANNEL, type OnServingChange } from '../changes';

export interface NewAgent {
  id: string;
  name: string;
  description: string;
  ownerId: string | null;
  visibility: Visibility;
  draft: AgentConfig;
}

export interface DraftChanges {
  description?: string;
  visibility?: Visibility;
  draft?: AgentConfig;
}

/** A version by number or id, as `model: "name@3"` or `"name@agv_…"` says. */
export type VersionRef = number | string;

export interface ServedAgent {
  agent: Agent;
  version: AgentVersion;
}

/** Agents, their immutable versions and which one is published. */
export interface AgentStore {
  insert(agent: NewAgent): Promise<Agent>;
  get(id: string): Promise<Agent | null>;
  list(caller: Caller, options?: { includeArchived?: boolean }): Promise<Agent[]>;
  memberRole(agentId: string, userId: string): Promise<MemberRole | null>;
  updateDraft(id: string, changes: DraftChanges): Promise<Agent>;
  /** Freezes `config` as the next version and publishes it, in one transaction. */
  publish(agentId: string, config: AgentConfig, createdBy: string | null, versionId: string): Promise<AgentVersion>;
  /** Points traffic at another existing version: one statement, so every request sees either the old or the new one. */
  setPublished(agentId: string, versionId: string): Promise<void>;
  listVersions(agentId: string): Promise<AgentVersion[]>;
  getVersion(agentId: string, ref: VersionRef): Promise<AgentVersion | null>;
  archive(id: string): Promise<Agent>;
  /**
   * The live (not archived) agent named or identified by `nameOrId`, with
   * the version to serve: the published one unless `ref` names another.
   */
  served(nameOrId: string, ref?: VersionRef): Promise<ServedAgent | null>;
  /** Live agents with a published version, for `/v1/models`. */
  listPublished(agentIds: string[]): Promise<ServedAgent[]>;
}

interface AgentRow {
  id: string;
  name: string;
  description: string;
  owner_id: string | null;
  visibility: Visibility;
  draft: AgentConfig;
  published_version_id: string | null;
  published_number: number | null;
  archived_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

interface VersionRow {
  id: string;
  agent_id: string;
  number: number;
  config: AgentConfig;
  created_by: string | null;
  created_at: Date | string;
}

/** An agent row with one of its versions beside it, prefixed `v_`. */
interface ServedRow extends AgentRow {
  v_id: string | null;
  v_number: number | null;
  v_config: AgentConfig | null;
  v_created_by: string | null;
  v_created_at: Date | string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ownerId: row.owner_id,
    visibility: row.visibility,
    draft: row.draft,
    publishedVersion: row.published_version_id ? { id: row.published_version_id, number: row.published_number! } : null,
    archivedAt: row.archived_at ? iso(row.archived_at) : null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function toVersion(row: VersionRow): AgentVersion {
  return { id: row.id, agentId: row.agent_id, number: row.number, config: row.config, createdBy: row.created_by, createdAt: iso(row.created_at) };
}

function toServed(row: ServedRow): ServedAgent | null {
  if (!row.v_id) return null;
  return {
    agent: toAgent(row),
    version: toVersion({ id: row.v_id, agent_id: row.id, number: row.v_number!, config: row.v_config!, created_by: row.v_created_by, created_at: row.v_created_at! }),
  };
}

const SELECT = `
  select a.*, pv.number as published_number
    from agents.agents a
    left join agents.versions pv on pv.id = a.published_version_id`;

const VERSION_COLUMNS = 'v.id as v_id, v.number as v_number, v.config as v_config, v.created_by as v_created_by, v.created_at as v_created_at';

const ACCESS_TABLES = { alias: 'a', members: 'agents.agent_members', resourceColumn: 'agent_id' };

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505';

export function createPgAgentStore(db: Db, { onServingChange = () => {} }: { onServingChange?: OnServingChange } = {}): AgentStore {
  const get = async (id: string) => {
    const { rows } = await db.query<AgentRow>(`${SELECT} where a.id = $1`, [id]);
    return rows[0] ? toAgent(rows[0]) : null;
  };

  return {
    async insert(agent) {
      try {
        await db.query(
          'insert into agents.agents (id, name, description, owner_id, visibility, draft) values ($1, $2, $3, $4, $5, $6)',
          [agent.id, agent.name, agent.description, agent.ownerId, agent.visibility, JSON.stringify(agent.draft)],
        );
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflict({
            code: 'agent_name_taken',
            message: `body.name: an agent named "${agent.name}" already exists; names are unique because clients send them as "model"`,
            details: { field: 'name' },
          });
        }
        throw error;
      }
      return (await get(agent.id))!;
    },

    get,

    async list(caller, { includeArchived = false } = {}) {
      const params: unknown[] = [];
      const where = readableBy(caller, ACCESS_TABLES, params);
      const live = includeArchived ? 'true' : 'a.archived_at is null';
      const { rows } = await db.query<AgentRow>(`${SELECT} where ${where} and ${live} order by a.id`, params);
      return rows.map(toAgent);
    },

    async memberRole(agentId, userId) {
      const { rows } = await db.query<{ role: MemberRole }>('select role from agents.agent_members where agent_id = $1 and user_id = $2', [agentId, userId]);
      return rows[0]?.role ?? null;
    },

    async updateDraft(id, changes) {
      await db.query(
        `update agents.agents
            set description = coalesce($2, description),
                visibility = coalesce($3, visibility),
                draft = coalesce($4::jsonb, draft),
                updated_at = now()
          where id = $1`,
        [id, changes.description ?? null, changes.visibility ?? null, changes.draft ? JSON.stringify(changes.draft) : null],
      );
      return (await get(id))!;
    },

    async publish(agentId, config, createdBy, versionId) {
      const version = await db.transaction(async (tx) => {
        // The row lock serialises publishes of one agent, so version numbers never collide.
        await tx.query('select id from agents.agents where id = $1 for update', [agentId]);
        const { rows } = await tx.query<VersionRow>(
          `insert into agents.versions (id, agent_id, number, config, created_by)
           values ($1, $2, (select coalesce(max(number), 0) + 1 from agents.versions where agent_id = $2), $3, $4)
           returning *`,
          [versionId, agentId, JSON.stringify(config), createdBy],
        );
        await tx.query(
          `with changed as (update agents.agents set published_version_id = $2, updated_at = now() where id = $1 returning id)
           select pg_notify($3, id) from changed`,
          [agentId, versionId, AGENTS_CHANGED_CHANNEL],
        );
        return toVersion(rows[0]);
      });
      onServingChange();
      return version;
    },

    async setPublished(agentId, versionId) {
      await db.query(
        `with changed as (update agents.agents set published_version_id = $2, updated_at = now() where id = $1 returning id)
         select pg_notify($3, id) from changed`,
        [agentId, versionId, AGENTS_CHANGED_CHANNEL],
      );
      onServingChange();
    },

    async listVersions(agentId) {
      const { rows } = await db.query<VersionRow>('select * from agents.versions where agent_id = $1 order by number', [agentId]);
      return rows.map(toVersion);
    },

    async getVersion(agentId, ref) {
      const column = typeof ref === 'number' ? 'number' : 'id';
      const { rows } = await db.query<VersionRow>(`select * from agents.versions where agent_id = $1 and ${column} = $2`, [agentId, ref]);
      return rows[0] ? toVersion(rows[0]) : null;
    },

    async archive(id) {
      await db.query(
        `with changed as (update agents.agents set archived_at = coalesce(archived_at, now()), updated_at = now() where id = $1 returning id)
         select pg_notify($2, id) from changed`,
        [id, AGENTS_CHANGED_CHANNEL],
      );
      onServingChange();
      return (await get(id))!;
    },

    async served(nameOrId, ref) {
      const which =
        ref === undefined ? 'v.id = a.published_version_id' : typeof ref === 'number' ? 'v.number = $2::integer' : 'v.id = $2::text';
      const { rows } = await db.query<ServedRow>(
        `select a.*, pv.number as published_number, ${VERSION_COLUMNS}
           from agents.agents a
           left join agents.versions pv on pv.id = a.published_version_id
           left join agents.versions v on v.agent_id = a.id and ${which}
          where (a.id = $1 or lower(a.name) = lower($1)) and a.archived_at is null`,
        ref === undefined ? [nameOrId] : [nameOrId, ref],
      );
      return rows[0] ? toServed(rows[0]) : null;
    },

    async listPublished(agentIds) {
      const { rows } = await db.query<ServedRow>(
        `select a.*, v.number as published_number, ${VERSION_COLUMNS}
           from agents.agents a
           join agents.versions v on v.id = a.published_version_id
          where a.archived_at is null and a.id = any($1::text[])
          order by a.id`,
        [agentIds],
      );
      return rows.map(toServed).filter((s): s is ServedAgent => s !== null);
    },
  };
}
