import type { Db } from '@llmp/db';
import type { DatasetRecord } from '../records/record';
import { recordKind, type NewRecord, type RecordKind, type RecordSource, type RecordStatus, type StoredRecord } from './dataset';

export interface RecordPageQuery {
  status?: RecordStatus;
  /** The last record id of the previous page: records stored after it come next. */
  after?: string;
  limit: number;
}

export interface RecordChange {
  record?: DatasetRecord;
  tokens?: number;
  status?: RecordStatus;
  reason?: string | null;
}

export interface RecordStore {
  insertMany(records: NewRecord[]): Promise<void>;
  get(id: string): Promise<StoredRecord | null>;
  page(datasetId: string, query: RecordPageQuery): Promise<StoredRecord[]>;
  /** Every record of the dataset with one of these statuses, in the order they were stored, read a page at a time. */
  each(datasetId: string, statuses: readonly RecordStatus[], pageSize?: number): AsyncGenerator<StoredRecord>;
  update(id: string, change: RecordChange): Promise<StoredRecord | null>;
  /** Sets the status of the named records (or of every record with status `from`); returns how many changed. */
  setStatus(datasetId: string, status: RecordStatus, select: { ids?: string[]; from?: RecordStatus }): Promise<number>;
  /** Rejects many records at once with one reason. */
  reject(ids: string[], reason: string): Promise<void>;
  /** Rewrites the content of many records (cleaning passes). */
  rewrite(changes: Array<{ id: string; record: DatasetRecord; tokens: number }>): Promise<void>;
  kinds(datasetId: string, statuses: readonly RecordStatus[]): Promise<RecordKind[]>;
  /** Removes what one knowledge-base build stored (it failed or was cancelled). */
  deleteByBuild(datasetId: string, buildId: string): Promise<number>;
}

interface RecordRow {
  id: string;
  dataset_id: string;
  kind: RecordKind;
  content: DatasetRecord;
  status: RecordStatus;
  reason: string | null;
  token_count: number;
  source: RecordSource;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toRecord(row: RecordRow): StoredRecord {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    kind: row.kind,
    record: row.content,
    status: row.status,
    reason: row.reason,
    tokens: row.token_count,
    source: row.source,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Rows per statement: keeps each one's parameters to a few megabytes. */
const BATCH = 500;

export function createPgRecordStore(db: Db): RecordStore {
  const page = async (datasetId: string, { status, after, limit }: RecordPageQuery, statuses?: readonly RecordStatus[]) => {
    const params: unknown[] = [datasetId, limit, after ?? ''];
    let where = `dataset_id = $1 and seq > coalesce((select seq from structuring.records where id = $3), 0)`;
    if (status) where += ` and status = $${params.push(status)}`;
    if (statuses) where += ` and status = any($${params.push(statuses)}::text[])`;
    const { rows } = await db.query<RecordRow>(`select * from structuring.records where ${where} order by seq limit $2`, params);
    return rows.map(toRecord);
  };
  return {
    async insertMany(records) {
      for (let i = 0; i < records.length; i += BATCH) {
        const batch = records.slice(i, i + BATCH);
        await db.query(
          `insert into structuring.records (id, dataset_id, kind, content, token_count, source)
           select r.id, r.dataset_id, r.kind, r.content::jsonb, r.token_count, r.source::jsonb
             from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[]) as r(id, dataset_id, kind, content, token_count, source)`,
          [
            batch.map((r) => r.id),
            batch.map((r) => r.datasetId),
            batch.map((r) => recordKind(r.record)),
            batch.map((r) => JSON.stringify(r.record)),
            batch.map((r) => r.tokens),
            batch.map((r) => JSON.stringify(r.source)),
          ],
        );
      }
    },
    async get(id) {
      const { rows } = await db.query<RecordRow>('select * from structuring.records where id = $1', [id]);
      return rows[0] ? toRecord(rows[0]) : null;
    },
    page: (datasetId, query) => page(datasetId, query),
    async *each(datasetId, statuses, pageSize = 1000) {
      let after = '';
      for (;;) {
        const rows = await page(datasetId, { after, limit: pageSize }, statuses);
        yield* rows;
        if (rows.length < pageSize) return;
        after = rows[rows.length - 1].id;
      }
    },
    async update(id, { record, tokens, status, reason }) {
      const { rows } = await db.query<RecordRow>(
        `update structuring.records
            set content = coalesce($2::jsonb, content),
                kind = coalesce($3, kind),
                token_count = coalesce($4, token_count),
                status = coalesce($5, status),
                reason = case when $6::boolean then $7 else reason end,
                updated_at = now()
          where id = $1
          returning *`,
        [id, record ? JSON.stringify(record) : null, record ? recordKind(record) : null, tokens ?? null, status ?? null, reason !== undefined, reason ?? null],
      );
      return rows[0] ? toRecord(rows[0]) : null;
    },
    async setStatus(datasetId, status, { ids, from }) {
      const params: unknown[] = [datasetId, status];
      let where = 'dataset_id = $1';
      if (ids) where += ` and id = any($${params.push(ids)}::text[])`;
      if (from) where += ` and status = $${params.push(from)}`;
      const { rowCount } = await db.query(`update structuring.records set status = $2, reason = null, updated_at = now() where ${where}`, params);
      return rowCount;
    },
    async reject(ids, reason) {
      for (let i = 0; i < ids.length; i += BATCH) {
        await db.query(`update structuring.records set status = 'rejected', reason = $2, updated_at = now() where id = any($1::text[])`, [ids.slice(i, i + BATCH), reason]);
      }
    },
    async rewrite(changes) {
      for (let i = 0; i < changes.length; i += BATCH) {
        const batch = changes.slice(i, i + BATCH);
        await db.query(
          `update structuring.records r
              set content = c.content::jsonb, token_count = c.token_count, updated_at = now()
             from unnest($1::text[], $2::text[], $3::int[]) as c(id, content, token_count)
            where r.id = c.id`,
          [batch.map((c) => c.id), batch.map((c) => JSON.stringify(c.record)), batch.map((c) => c.tokens)],
        );
      }
    },
    async kinds(datasetId, statuses) {
      const { rows } = await db.query<{ kind: RecordKind }>('select distinct kind from structuring.records where dataset_id = $1 and status = any($2::text[])', [datasetId, statuses]);
      return rows.map((r) => r.kind);
    },
    async deleteByBuild(datasetId, buildId) {
      const { rowCount } = await db.query(`delete from structuring.records where dataset_id = $1 and source->>'buildId' = $2`, [datasetId, buildId]);
      return rowCount;
    },
  };
}
