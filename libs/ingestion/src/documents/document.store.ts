import type { Document, DocumentError, DocumentMetadata, DocumentStatus, DocumentType, ListDocumentsQuery } from '@llmp/contracts';
import type { Db } from '@llmp/db';
import type { StoredDocument } from './document';

interface DocumentRow {
  id: string;
  knowledge_base_id: string;
  title: string;
  filename: string;
  type: DocumentType;
  media_type: string;
  declared_type: string | null;
  size_bytes: number;
  content_hash: string;
  blob_key: string;
  metadata: DocumentMetadata;
  status: DocumentStatus;
  indexed_revision: number | null;
  settings_revision: number;
  progress: number;
  stages: Document['stages'];
  error: DocumentError | null;
  warnings: string[];
  page_count: number | null;
  section_count: number | null;
  chunk_count: number | null;
  token_count: number | null;
  char_count: number | null;
  job_id: string | null;
  run_id: string | null;
  attempts: number;
  created_by: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toDocument(row: DocumentRow): StoredDocument {
  return {
    id: row.id,
    knowledgeBaseId: row.knowledge_base_id,
    title: row.title,
    filename: row.filename,
    type: row.type,
    mediaType: row.media_type,
    declaredType: row.declared_type,
    sizeBytes: Number(row.size_bytes),
    contentHash: row.content_hash,
    metadata: row.metadata ?? {},
    status: row.status,
    stale: row.indexed_revision !== null && row.indexed_revision !== row.settings_revision,
    indexedRevision: row.indexed_revision,
    progress: Math.round(Number(row.progress) * 1000) / 1000,
    stages: row.stages ?? {},
    error: row.error,
    warnings: row.warnings ?? [],
    counts: {
      pages: row.page_count,
      sections: row.section_count,
      chunks: row.chunk_count,
      tokens: row.token_count,
      characters: row.char_count,
    },
    attempts: row.attempts,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    blobKey: row.blob_key,
    jobId: row.job_id,
    runId: row.run_id,
  };
}

const SELECT = `
  select d.*, kb.settings_revision
    from ingestion.documents d
    join ingestion.knowledge_bases kb on kb.id = d.knowledge_base_id`;

const UNFINISHED = `d.status not in ('ready', 'failed', 'cancelled')`;

export type NewDocument = Pick<
  Document,
  'id' | 'knowledgeBaseId' | 'title' | 'filename' | 'type' | 'mediaType' | 'declaredType' | 'sizeBytes' | 'contentHash' | 'metadata' | 'warnings' | 'createdBy'
> & { blobKey: string };

/** What a pipeline run may write; every field optional. */
export interface RunUpdate {
  status?: DocumentStatus;
  progress?: number;
  stages?: Document['stages'];
  error?: DocumentError | null;
  title?: string;
  warnings?: string[];
  pageCount?: number | null;
  sectionCount?: number | null;
  chunkCount?: number | null;
  tokenCount?: number | null;
  charCount?: number | null;
  indexedRevision?: number;
  /** Gives the document up: no run owns it afterwards. */
  release?: boolean;
}

const RUN_COLUMNS: Record<Exclude<keyof RunUpdate, 'release'>, { column: string; json?: boolean }> = {
  status: { column: 'status' },
  progress: { column: 'progress' },
  stages: { column: 'stages', json: true },
  error: { column: 'error', json: true },
  title: { column: 'title' },
  warnings: { column: 'warnings', json: true },
  pageCount: { column: 'page_count' },
  sectionCount: { column: 'section_count' },
  chunkCount: { column: 'chunk_count' },
  tokenCount: { column: 'token_count' },
  charCount: { column: 'char_count' },
  indexedRevision: { column: 'indexed_revision' },
};

/**
 * Documents and their pipeline state. A run of the pipeline owns a document
 * through its run id: what a cancelled, superseded or presumed-dead run
 * writes later is dropped.
 */
export interface DocumentStore {
  /** Inserts the document, or answers null when these bytes are already in the knowledge base. */
  insert(doc: NewDocument): Promise<StoredDocument | null>;
  get(id: string): Promise<StoredDocument | null>;
  findByHash(knowledgeBaseId: string, contentHash: string): Promise<StoredDocument | null>;
  /** One page, in id order. */
  list(knowledgeBaseId: string, query: ListDocumentsQuery): Promise<StoredDocument[]>;
  /** Every document of a knowledge base, for deleting it. */
  listAll(knowledgeBaseId: string): Promise<StoredDocument[]>;
  /** Documents whose index does not match the knowledge base's settings, or that never became ready; or every one, or those named. */
  listToReindex(knowledgeBaseId: string, which: { all: boolean; documentIds?: string[] }): Promise<StoredDocument[]>;
  /** Puts a finished document back in the queue, awaiting a new job; false if it is still being processed. */
  requeue(id: string): Promise<boolean>;
  /** Names the job that processes the document, unless a run has claimed it for that job already. */
  setJob(id: string, jobId: string): Promise<void>;
  /** Makes `runId` the owner of the document for job `jobId`; null when the document is gone, finished, or now belongs to another job. */
  claim(id: string, jobId: string, runId: string): Promise<StoredDocument | null>;
  /** Writes what a run learnt; false when the run no longer owns the document (cancelled, deleted, superseded). */
  updateRun(id: string, runId: string, update: RunUpdate): Promise<boolean>;
  /** Locks the document for the rest of the transaction if `runId` still owns it. */
  lockOwned(id: string, runId: string): Promise<boolean>;
  /** Ends processing for good, whoever runs it; null when it had already finished. */
  finish(id: string, status: 'failed' | 'cancelled', error: DocumentError): Promise<StoredDocument | null>;
  /** Unfinished documents untouched for `idleSeconds`: candidates for the reconciler. */
  listIdle(idleSeconds: number, limit?: number): Promise<StoredDocument[]>;
  touch(id: string): Promise<void>;
  /** Removes it and, with it, its chunks; answers what was removed. */
  delete(id: string): Promise<StoredDocument | null>;
}

/** Over the `ingestion` schema of Postgres or PGlite. */
export function createSqlDocumentStore(db: Db): DocumentStore {
  const store: DocumentStore = {
    async insert(doc) {
      const { rows } = await db.query<{ id: string }>(
        `insert into ingestion.documents
           (id, knowledge_base_id, title, filename, type, media_type, declared_type, size_bytes, content_hash, blob_key,
            metadata, warnings, created_by, stages)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, jsonb_build_object('queued', jsonb_build_object('at', now())))
         on conflict (knowledge_base_id, content_hash) do nothing
         returning id`,
        [
          doc.id,
          doc.knowledgeBaseId,
          doc.title,
          doc.filename,
          doc.type,
          doc.mediaType,
          doc.declaredType,
          doc.sizeBytes,
          doc.contentHash,
          doc.blobKey,
          JSON.stringify(doc.metadata),
          JSON.stringify(doc.warnings),
          doc.createdBy,
        ],
      );
      return rows[0] ? store.get(rows[0].id) : null;
    },

    async get(id) {
      const { rows } = await db.query<DocumentRow>(`${SELECT} where d.id = $1`, [id]);
      return rows[0] ? toDocument(rows[0]) : null;
    },

    async findByHash(knowledgeBaseId, contentHash) {
      const { rows } = await db.query<DocumentRow>(`${SELECT} where d.knowledge_base_id = $1 and d.content_hash = $2`, [
        knowledgeBaseId,
        contentHash,
      ]);
      return rows[0] ? toDocument(rows[0]) : null;
    },

    async list(knowledgeBaseId, { status, limit, after }) {
      const params: unknown[] = [knowledgeBaseId, limit];
      let where = 'd.knowledge_base_id = $1';
      if (status) {
        params.push(status);
        where += ` and d.status = $${params.length}`;
      }
      if (after) {
        params.push(after);
        where += ` and d.id > $${params.length}`;
      }
      const { rows } = await db.query<DocumentRow>(`${SELECT} where ${where} order by d.id limit $2`, params);
      return rows.map(toDocument);
    },

    async listAll(knowledgeBaseId) {
      const { rows } = await db.query<DocumentRow>(`${SELECT} where d.knowledge_base_id = $1 order by d.id`, [knowledgeBaseId]);
      return rows.map(toDocument);
    },

    async listToReindex(knowledgeBaseId, { all, documentIds }) {
      const params: unknown[] = [knowledgeBaseId];
      let where = 'd.knowledge_base_id = $1';
      if (documentIds) {
        params.push(documentIds);
        where += ` and d.id = any($2::text[])`;
      } else if (!all) {
        where += ` and (d.status in ('failed', 'cancelled') or (d.indexed_revision is not null and d.indexed_revision <> kb.settings_revision))`;
      }
      const { rows } = await db.query<DocumentRow>(`${SELECT} where ${where} order by d.id`, params);
      return rows.map(toDocument);
    },

    async requeue(id) {
      const { rowCount } = await db.query(
        `update ingestion.documents d
            set status = 'queued', job_id = null, run_id = null, progress = 0, error = null,
                stages = jsonb_build_object('queued', jsonb_build_object('at', now())), updated_at = now()
          where d.id = $1 and d.status in ('ready', 'failed', 'cancelled')`,
        [id],
      );
      return rowCount > 0;
    },

    async setJob(id, jobId) {
      await db.query('update ingestion.documents set job_id = $2 where id = $1 and job_id is null', [id, jobId]);
    },

    async claim(id, jobId, runId) {
      const { rowCount } = await db.query(
        // A job sent just before its id was recorded finds job_id still null: it may claim.
        `update ingestion.documents d
            set run_id = $3, job_id = $2, attempts = attempts + 1, updated_at = now()
          where d.id = $1 and (d.job_id = $2 or d.job_id is null) and ${UNFINISHED}`,
        [id, jobId, runId],
      );
      return rowCount ? store.get(id) : null;
    },

    async updateRun(id, runId, update) {
      const sets: string[] = ['updated_at = now()'];
      const params: unknown[] = [id, runId];
      for (const [key, spec] of Object.entries(RUN_COLUMNS) as Array<[keyof typeof RUN_COLUMNS, { column: string; json?: boolean }]>) {
        const value = update[key];
        if (value === undefined) continue;
        params.push(spec.json && value !== null ? JSON.stringify(value) : value);
        sets.push(`${spec.column} = $${params.length}`);
      }
      if (update.release) sets.push('run_id = null');
      const { rowCount } = await db.query(`update ingestion.documents set ${sets.join(', ')} where id = $1 and run_id = $2`, params);
      return rowCount > 0;
    },

    async lockOwned(id, runId) {
      const { rows } = await db.query('select id from ingestion.documents where id = $1 and run_id = $2 for update', [id, runId]);
      return rows.length > 0;
    },

    async finish(id, status, error) {
      const { rowCount } = await db.query(
        `update ingestion.documents d set status = $2, error = $3, run_id = null, updated_at = now()
          where d.id = $1 and ${UNFINISHED}`,
        [id, status, JSON.stringify(error)],
      );
      return rowCount ? store.get(id) : null;
    },

    async listIdle(idleSeconds, limit = 100) {
      const { rows } = await db.query<DocumentRow>(
        `${SELECT} where ${UNFINISHED} and d.updated_at < now() - make_interval(secs => $1) order by d.updated_at limit $2`,
        [idleSeconds, limit],
      );
      return rows.map(toDocument);
    },

    async touch(id) {
      await db.query('update ingestion.documents set updated_at = now() where id = $1', [id]);
    },

    async delete(id) {
      const doc = await store.get(id);
      if (!doc) return null;
      await db.query('delete from ingestion.documents where id = $1', [id]);
      return doc;
    },
  };
  return store;
}
