import type { Caller, ChunkingSettings, DocumentCounts, EmbedderSpec, KnowledgeBase, Member, MemberRole, Visibility } from '@llmp/contracts';
import { readableBy, type Db } from '@llmp/db';
import { isUniqueViolation } from '../db-errors';
import { knowledgeBaseNameTaken } from './knowledge-base.errors';

export interface NewKnowledgeBase {
  id: string;
  name: string;
  description: string;
  chunking: ChunkingSettings;
  embedder: EmbedderSpec;
  vectorCollection: string;
  createdBy: string | null;
  ownerId: string | null;
  visibility: Visibility;
}

export interface KnowledgeBaseChanges {
  name?: string;
  description?: string;
  chunking?: ChunkingSettings;
  embedder?: EmbedderSpec;
  vectorCollection?: string;
  visibility?: Visibility;
  bumpRevision?: boolean;
}

/** Knowledge bases with their document counts, and their members. */
export interface KnowledgeBaseStore {
  /** Fails with `knowledge_base_exists` when its owner has one by that name already. */
  insert(kb: NewKnowledgeBase): Promise<KnowledgeBase>;
  get(id: string): Promise<KnowledgeBase | null>;
  /** Without the document counts, which cost a pass over its documents: for paths that need only its settings. */
  getSettings(id: string): Promise<KnowledgeBaseSettings | null>;
  /** Locks the row until the transaction ends, so settings changes never interleave. */
  getForUpdate(id: string): Promise<KnowledgeBase | null>;
  /** Names are unique per owner, whatever their case (the platform's own knowledge bases have none). */
  findByName(name: string, ownerId: string | null): Promise<KnowledgeBase | null>;
  /** The knowledge bases `caller` may read. */
  list(caller: Caller): Promise<KnowledgeBase[]>;
  memberRole(id: string, userId: string): Promise<MemberRole | null>;
  listMembers(id: string): Promise<Member[]>;
  /** Adds the member, or changes their role. */
  setMember(id: string, userId: string, role: MemberRole, addedBy: string | null): Promise<Member>;
  /** False when they were not a member. */
  removeMember(id: string, userId: string): Promise<boolean>;
  /** Null when it does not exist; fails with `knowledge_base_exists` when the new name is taken. */
  update(id: string, changes: KnowledgeBaseChanges): Promise<KnowledgeBase | null>;
  delete(id: string): Promise<boolean>;
}

interface KnowledgeBaseRow {
  id: string;
  name: string;
  description: string;
  chunking: ChunkingSettings;
  embedder: EmbedderSpec;
  vector_collection: string;
  settings_revision: number;
  created_by: string | null;
  owner_id: string | null;
  visibility: Visibility;
  created_at: Date | string;
  updated_at: Date | string;
  total: number | null;
  ready: number | null;
  processing: number | null;
  failed: number | null;
  cancelled: number | null;
  stale: number | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** A knowledge base without its document counts. */
export type KnowledgeBaseSettings = Omit<KnowledgeBase, 'documents'>;

function toSettings(row: Omit<KnowledgeBaseRow, keyof DocumentCounts>): KnowledgeBaseSettings {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    chunking: row.chunking,
    embedder: row.embedder,
    vectorCollection: row.vector_collection,
    settingsRevision: row.settings_revision,
    createdBy: row.created_by,
    ownerId: row.owner_id,
    visibility: row.visibility,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function toKnowledgeBase(row: KnowledgeBaseRow): KnowledgeBase {
  const documents: DocumentCounts = {
    total: row.total ?? 0,
    ready: row.ready ?? 0,
    processing: row.processing ?? 0,
    failed: row.failed ?? 0,
    cancelled: row.cancelled ?? 0,
    stale: row.stale ?? 0,
  };
  return { ...toSettings(row), documents };
}

const SELECT = `
  select kb.*, c.total, c.ready, c.processing, c.failed, c.cancelled, c.stale
    from ingestion.knowledge_bases kb
    left join lateral (
      select count(*)::int as total,
             count(*) filter (where d.status = 'ready')::int as ready,
             count(*) filter (where d.status not in ('ready', 'failed', 'cancelled'))::int as processing,
             count(*) filter (where d.status = 'failed')::int as failed,
             count(*) filter (where d.status = 'cancelled')::int as cancelled,
             count(*) filter (where d.indexed_revision is not null and d.indexed_revision <> kb.settings_revision)::int as stale
        from ingestion.documents d
       where d.knowledge_base_id = kb.id
    ) c on true`;

const ACCESS_TABLES = { alias: 'kb', members: 'ingestion.knowledge_base_members', resourceColumn: 'knowledge_base_id' };

interface MemberRow {
  user_id: string;
  role: MemberRole;
  added_by: string | null;
  added_at: Date | string;
}

function toMember(row: MemberRow): Member {
  return { userId: row.user_id, role: row.role, addedBy: row.added_by, addedAt: iso(row.added_at) };
}

/** Over the `ingestion` schema of Postgres or PGlite. */
export function createSqlKnowledgeBaseStore(db: Db): KnowledgeBaseStore {
  const store: KnowledgeBaseStore = {
    async insert(kb) {
      await db
        .query(
          `insert into ingestion.knowledge_bases (id, name, description, chunking, embedder, vector_collection, created_by, owner_id, visibility)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [kb.id, kb.name, kb.description, JSON.stringify(kb.chunking), JSON.stringify(kb.embedder), kb.vectorCollection, kb.createdBy, kb.ownerId, kb.visibility],
        )
        .catch(nameTakenOr(kb.name));
      return (await store.get(kb.id))!;
    },

    async get(id) {
      const { rows } = await db.query<KnowledgeBaseRow>(`${SELECT} where kb.id = $1`, [id]);
      return rows[0] ? toKnowledgeBase(rows[0]) : null;
    },

    async getSettings(id) {
      const { rows } = await db.query<Omit<KnowledgeBaseRow, keyof DocumentCounts>>('select kb.* from ingestion.knowledge_bases kb where kb.id = $1', [id]);
      return rows[0] ? toSettings(rows[0]) : null;
    },

    async getForUpdate(id) {
      const { rows } = await db.query<{ id: string }>('select id from ingestion.knowledge_bases where id = $1 for update', [id]);
      return rows[0] ? store.get(id) : null;
    },

    async findByName(name, ownerId) {
      const { rows } = await db.query<KnowledgeBaseRow>(
        `${SELECT} where coalesce(kb.owner_id, '') = coalesce($2, '') and lower(kb.name) = lower($1)`,
        [name, ownerId],
      );
      return rows[0] ? toKnowledgeBase(rows[0]) : null;
    },

    // Filtered in SQL rather than after fetching every knowledge base.
    async list(caller) {
      const params: unknown[] = [];
      const where = readableBy(caller, ACCESS_TABLES, params);
      const { rows } = await db.query<KnowledgeBaseRow>(`${SELECT} where ${where} order by kb.id`, params);
      return rows.map(toKnowledgeBase);
    },

    async memberRole(id, userId) {
      const { rows } = await db.query<{ role: MemberRole }>(
        'select role from ingestion.knowledge_base_members where knowledge_base_id = $1 and user_id = $2',
        [id, userId],
      );
      return rows[0]?.role ?? null;
    },

    async listMembers(id) {
      const { rows } = await db.query<MemberRow>(
        'select user_id, role, added_by, added_at from ingestion.knowledge_base_members where knowledge_base_id = $1 order by added_at, user_id',
        [id],
      );
      return rows.map(toMember);
    },

    async setMember(id, userId, role, addedBy) {
      const { rows } = await db.query<MemberRow>(
        `insert into ingestion.knowledge_base_members (knowledge_base_id, user_id, role, added_by) values ($1, $2, $3, $4)
         on conflict (knowledge_base_id, user_id) do update set role = excluded.role
         returning user_id, role, added_by, added_at`,
        [id, userId, role, addedBy],
      );
      return toMember(rows[0]);
    },

    async removeMember(id, userId) {
      const { rowCount } = await db.query('delete from ingestion.knowledge_base_members where knowledge_base_id = $1 and user_id = $2', [id, userId]);
      return rowCount > 0;
    },

    async update(id, changes) {
      const sets: string[] = ['updated_at = now()'];
      const params: unknown[] = [id];
      const set = (column: string, value: unknown) => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      if (changes.name !== undefined) set('name', changes.name);
      if (changes.description !== undefined) set('description', changes.description);
      if (changes.chunking !== undefined) set('chunking', JSON.stringify(changes.chunking));
      if (changes.embedder !== undefined) set('embedder', JSON.stringify(changes.embedder));
      if (changes.vectorCollection !== undefined) set('vector_collection', changes.vectorCollection);
      if (changes.visibility !== undefined) set('visibility', changes.visibility);
      if (changes.bumpRevision) sets.push('settings_revision = settings_revision + 1');
      const { rowCount } = await db.query(`update ingestion.knowledge_bases set ${sets.join(', ')} where id = $1`, params).catch(nameTakenOr(changes.name ?? ''));
      return rowCount ? store.get(id) : null;
    },

    async delete(id) {
      const { rowCount } = await db.query('delete from ingestion.knowledge_bases where id = $1', [id]);
      return rowCount > 0;
    },
  };
  return store;
}

/** A unique violation on a knowledge base can only be its name, per owner. */
function nameTakenOr(name: string) {
  return (error: unknown): never => {
    throw isUniqueViolation(error) ? knowledgeBaseNameTaken(name) : error;
  };
}
