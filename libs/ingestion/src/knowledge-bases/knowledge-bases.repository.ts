import type { Db } from '@llmp/db';
import type { ChunkingSettings, DocumentCounts, EmbedderSpec, KnowledgeBase } from './knowledge-base';

interface KnowledgeBaseRow {
  id: string;
  name: string;
  description: string;
  chunking: ChunkingSettings;
  embedder: EmbedderSpec;
  vector_collection: string;
  settings_revision: number;
  created_by: string | null;
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

function toKnowledgeBase(row: KnowledgeBaseRow): KnowledgeBase {
  const documents: DocumentCounts = {
    total: row.total ?? 0,
    ready: row.ready ?? 0,
    processing: row.processing ?? 0,
    failed: row.failed ?? 0,
    cancelled: row.cancelled ?? 0,
    stale: row.stale ?? 0,
  };
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    chunking: row.chunking,
    embedder: row.embedder,
    vectorCollection: row.vector_collection,
    settingsRevision: row.settings_revision,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    documents,
  };
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

export interface NewKnowledgeBase {
  id: string;
  name: string;
  description: string;
  chunking: ChunkingSettings;
  embedder: EmbedderSpec;
  vectorCollection: string;
  createdBy: string | null;
}

export interface KnowledgeBaseChanges {
  name?: string;
  description?: string;
  chunking?: ChunkingSettings;
  embedder?: EmbedderSpec;
  vectorCollection?: string;
  bumpRevision?: boolean;
}

export type KnowledgeBasesRepository = ReturnType<typeof createKnowledgeBasesRepository>;

export function createKnowledgeBasesRepository(db: Db) {
  return {
    async insert(kb: NewKnowledgeBase): Promise<KnowledgeBase> {
      await db.query(
        `insert into ingestion.knowledge_bases (id, name, description, chunking, embedder, vector_collection, created_by)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [kb.id, kb.name, kb.description, JSON.stringify(kb.chunking), JSON.stringify(kb.embedder), kb.vectorCollection, kb.createdBy],
      );
      return (await this.get(kb.id))!;
    },

    async get(id: string): Promise<KnowledgeBase | null> {
      const { rows } = await db.query<KnowledgeBaseRow>(`${SELECT} where kb.id = $1`, [id]);
      return rows[0] ? toKnowledgeBase(rows[0]) : null;
    },

    /** Locks the row until the transaction ends, so settings changes never interleave. */
    async getForUpdate(id: string): Promise<KnowledgeBase | null> {
      const { rows } = await db.query<{ id: string }>('select id from ingestion.knowledge_bases where id = $1 for update', [id]);
      return rows[0] ? this.get(id) : null;
    },

    async findByName(name: string): Promise<KnowledgeBase | null> {
      const { rows } = await db.query<KnowledgeBaseRow>(`${SELECT} where lower(kb.name) = lower($1)`, [name]);
      return rows[0] ? toKnowledgeBase(rows[0]) : null;
    },

    async list(): Promise<KnowledgeBase[]> {
      const { rows } = await db.query<KnowledgeBaseRow>(`${SELECT} order by kb.id`);
      return rows.map(toKnowledgeBase);
    },

    async update(id: string, changes: KnowledgeBaseChanges): Promise<KnowledgeBase | null> {
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
      if (changes.bumpRevision) sets.push('settings_revision = settings_revision + 1');
      const { rowCount } = await db.query(`update ingestion.knowledge_bases set ${sets.join(', ')} where id = $1`, params);
      return rowCount ? this.get(id) : null;
    },

    async delete(id: string): Promise<boolean> {
      const { rowCount } = await db.query('delete from ingestion.knowledge_bases where id = $1', [id]);
      return rowCount > 0;
    },
  };
}
