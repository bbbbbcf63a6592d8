import type { Db } from '@llmp/db';
import type { Build, BuildParams, BuildProgress, BuildStatus } from './dataset';

export interface BuildStore {
  insert(build: { id: string; datasetId: string; params: BuildParams; createdBy: string | null }): Promise<Build>;
  get(id: string): Promise<Build | null>;
  listByDataset(datasetId: string): Promise<Build[]>;
  update(id: string, change: { status?: BuildStatus; progress?: BuildProgress; error?: string | null; jobId?: string }): Promise<void>;
}

interface BuildRow {
  id: string;
  dataset_id: string;
  params: BuildParams;
  status: BuildStatus;
  progress: BuildProgress;
  error: string | null;
  job_id: string | null;
  created_by: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

function toBuild(row: BuildRow): Build {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    params: row.params,
    status: row.status,
    progress: { documents: 0, chunks: 0, records: 0, ...(row.progress as Partial<BuildProgress>) },
    error: row.error,
    jobId: row.job_id,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function createPgBuildStore(db: Db): BuildStore {
  const get = async (id: string) => {
    const { rows } = await db.query<BuildRow>('select * from structuring.builds where id = $1', [id]);
    return rows[0] ? toBuild(rows[0]) : null;
  };
  return {
    async insert({ id, datasetId, params, createdBy }) {
      await db.query('insert into structuring.builds (id, dataset_id, params, created_by) values ($1, $2, $3::jsonb, $4)', [id, datasetId, JSON.stringify(params), createdBy]);
      return (await get(id))!;
    },
    get,
    async listByDataset(datasetId) {
      const { rows } = await db.query<BuildRow>('select * from structuring.builds where dataset_id = $1 order by id desc', [datasetId]);
      return rows.map(toBuild);
    },
    async update(id, { status, progress, error, jobId }) {
      await db.query(
        `update structuring.builds
            set status = coalesce($2, status),
                progress = coalesce($3::jsonb, progress),
                error = case when $4::boolean then $5 else error end,
                job_id = coalesce($6, job_id),
                updated_at = now()
          where id = $1`,
        [id, status ?? null, progress ? JSON.stringify(progress) : null, error !== undefined, error ?? null, jobId ?? null],
      );
    },
  };
}
