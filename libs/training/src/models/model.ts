import type { Hyperparameters } from '../jobs/job';
import type { LlamaConfigShape } from '../jobs/presets';

export interface ModelMetrics {
  trainLoss: number | null;
  validLoss: number | null;
  validPerplexity: number | null;
  steps: number;
  trainedTokens: number;
}

/** A trained model in the registry, with where it came from. */
export interface TrainedModel {
  id: string;
  ownerId: string;
  /** Lineage: the job that trained it and the checkpoint its weights are. */
  jobId: string;
  checkpointId: string | null;
  baseModel: string;
  datasetVersionId: string;
  hyperparameters: Hyperparameters;
  modelConfig: LlamaConfigShape;
  metrics: ModelMetrics;
  format: 'gguf';
  sizeBytes: number;
  artifactPath: string;
  createdAt: string;
}
