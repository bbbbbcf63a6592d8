import type { Db } from '@llmp/db';
import type { Hyperparameters, Page } from '../jobs/job';
import { iso, type PageQuery } from '../jobs/job.store';
import type { LlamaConfigShape } from '../jobs/presets';
import type { ModelMetrics, TrainedModel } from './model';

export interface ModelStore {
  insert(model: Omit<TrainedModel, 'createdAt'>): Promise<TrainedModel>;
  get(id: string): Promise<TrainedModel | null>;
  list(query: PageQuery & { ownerId?: string }): Promise<Page<TrainedModel>>;
}

interface ModelRow {
  id: string;
  owner_id: string;
  job_id: string;
  checkpoint_id: string | null;
  base_model: string;
  dataset_version_id: string;
  hyperparameters: Hyperparameters;
  model_config: LlamaConfigShape;
  metrics: ModelMetrics;
  format: 'gguf';
  size_bytes: string | number;
  artifact_path: string;
  created_at: Date | string;
}

const toModel = (r: ModelRow): TrainedModel => ({
  id: r.id,
  ownerId: r.owner_id,
  jobId: r.job_id,
  checkpointId: r.checkpoint_id,
  baseModel: r.base_model,
  datasetVersionId: r.dataset_version_id,
  hyperparameters: r.hyperparameters,
  modelConfig: r.model_config,
  metrics: r.metrics,
  format: r.format,
  sizeBytes: Number(r.size_bytes),
  artifactPath: r.artifact_path,
  createdAt: iso(r.created_at),
});

export function createPgModelStore(db: Db): ModelStore {
  return {
    async insert(m) {
      const { rows } = await db.query<ModelRow>(
        `insert into training.models (id, owner_id, job_id, checkpoint_id, base_model, dataset_version_id, hyperparameters, model_config, metrics, format, size_bytes, artifact_path)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning *`,
        [m.id, m.ownerId, m.jobId, m.checkpointId, m.baseModel, m.datasetVersionId, JSON.stringify(m.hyperparameters), JSON.stringify(m.modelConfig), JSON.stringify(m.metrics), m.format, m.sizeBytes, m.artifactPath],
      );
      return toModel(rows[0]);
    },
    async get(id) {
      const { rows } = await db.query<ModelRow>('select * from training.models where id = $1', [id]);
      return rows[0] ? toModel(rows[0]) : null;
    },
    async list({ ownerId, after, limit }) {
      const params: unknown[] = [];
      const where: string[] = [];
      if (ownerId) {
        params.push(ownerId);
        where.push(`owner_id = $${params.length}`);
      }
      if (after) {
        params.push(after);
        where.push(`id < $${params.length}`);
      }
      params.push(limit + 1);
      const { rows } = await db.query<ModelRow>(`select * from training.models ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $${params.length}`, params);
      return { data: rows.slice(0, limit).map(toModel), hasMore: rows.length > limit };
    },
  };
}
