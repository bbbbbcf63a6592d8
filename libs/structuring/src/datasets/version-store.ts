import type { Db } from '@llmp/db';
import type { DatasetStats } from '../cleaning/dataset-stats';
import type { Split } from '../cleaning/split';
import type { DatasetRecord } from '../records/record';
import type { DatasetVersion, DraftRecipe, FrozenRecord, RecordKind } from './dataset';

export type NewVersion = Omit<DatasetVersion, 'number' | 'status' | 'holds' | 'createdAt'>;

export interface VersionStore {
  /** Stores the version with the next number of its dataset, then its frozen records as they come. */
  create(version: NewVersion, records: AsyncIterable<FrozenRecord>): Promise<DatasetVersion>;
  get(id: string): Promise<DatasetVersion | null>;
  listByDataset(datasetId: string): Promise<DatasetVersion[]>;
  /** Frozen records in their frozen order, optionally of one split, read a page at a time. */
  records(versionId: string, split?: Split, pageSize?: number): AsyncGenerator<FrozenRecord>;
  hold(versionId: string, holder: string): Promise<void>;
  release(versionId: string, holder: string): Promise<boolean>;
}

interface VersionRow {
  id: string;
  dataset_id: string;
  number: number;
  kind: RecordKind;
  split: DatasetVersion['split'];
  counts: DatasetVersion['counts'];
  recipe: DraftRecipe;
  stats: DatasetStats;
  created_by: string | null;
  created_at: Date | string;
  holds: string[] | null;
}

function toVersion(row: VersionRow): DatasetVersion {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    number: row.number,
    status: 'frozen',
    kind: row.kind,
    counts: row.counts,
    split: row.split,
    recipe: row.recipe,
    stats: row.stats,
    holds: row.holds ?? [],
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

const SELECT = `
  select v.*, (select array_agg(h.holder order by h.holder) from structuring.holds h where h.version_id = v.id) as holds
    from structuring.versions v`;

const BATCH = 500;

export function createPgVersionStore(db: Db): VersionStore {
  const get = async (id: string) => {
    const { rows } = await db.query<VersionRow>(`${SELECT} where v.id = $1`, [id]);
    return rows[0] ? toVersion(rows[0]) : null;
  };
  return {
    async create(version, records) {
      await db.query(
        `insert into structuring.versions (id, dataset_id, number, kind, split, counts, recipe, stats, created_by)
         select $1, $2, coalesce(max(number), 0) + 1, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8
           from structuring.versions where dataset_id = $2`,
        [version.id, version.datasetId, version.kind, JSON.stringify(version.split), JSON.stringify(version.counts), JSON.stringify(version.recipe), JSON.stringify(version.stats), version.createdBy],
      );
      let batch: FrozenRecord[] = [];
      let position = 0;
      const flush = async () => {
        if (!batch.length) return;
        await db.query(
          `insert into structuring.version_records (version_id, position, record_id, split, content, token_count)
           select $1, r.position, r.record_id, r.split, r.content::jsonb, r.token_count
             from unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::int[]) as r(position, record_id, split, content, token_count)`,
          [
            version.id,
            batch.map((_, i) => position - batch.length + i),
            batch.map((r) => r.recordId),
            batch.map((r) => r.split),
            batch.map((r) => JSON.stringify(r.record)),
            batch.map((r) => r.tokens),
          ],
        );
        batch = [];
      };
      for await (const record of records) {
        batch.push(record);
        position++;
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      return (await get(version.id))!;
    },
    get,
    async listByDataset(datasetId) {
      const { rows } = await db.query<VersionRow>(`${SELECT} where v.dataset_id = $1 order by v.number desc`, [datasetId]);
      return rows.map(toVersion);
    },
    async *records(versionId, split, pageSize = 1000) {
      let after = -1;
      for (;;) {
        const params: unknown[] = [versionId, after, pageSize];
        const { rows } = await db.query<{ position: number; record_id: string; split: Split; content: DatasetRecord; token_count: number }>(
          `select position, record_id, split, content, token_count from structuring.version_records
            where version_id = $1 and position > $2 ${split ? `and split = $${params.push(split)}` : ''}
            order by position limit $3`,
          params,
        );
        for (const row of rows) yield { recordId: row.record_id, split: row.split, record: row.content, tokens: row.token_count };
        if (rows.length < pageSize) return;
        after = rows[rows.length - 1].position;
      }
    },
    async hold(versionId, holder) {
      await db.query('insert into structuring.holds (version_id, holder) values ($1, $2) on conflict do nothing', [versionId, holder]);
    },
    async release(versionId, holder) {
      const { rowCount } = await db.query('delete from structuring.holds where version_id = $1 and holder = $2', [versionId, holder]);
      return rowCount > 0;
    },
  };
}
