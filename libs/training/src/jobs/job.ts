import type { LlamaConfigShape } from './presets';

export const JOB_STATES = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export interface Hyperparameters {
  nEpochs: number;
  batchSize: number;
  learningRateMultiplier: number;
  seed: number;
  /** Tokens per training window; at most the preset's context length. */
  contextLength: number;
  /** Byte-level BPE vocabulary trained on the dataset; 261 (bytes and specials only) trains no merges. */
  vocabSize: number;
  /** Validation loss is measured every this many steps (and at the end). */
  evalEvery: number;
  /** A checkpoint is written every this many steps (and at the end). */
  checkpointEvery: number;
}

/** OpenAI's job error: a stable code, a message for people, and the parameter at fault if one is. */
export interface JobError {
  code: string;
  message: string;
  param: string | null;
}

/** What the pre-flight check expects a job to need, from the model size, the data and this machine's calibration. */
export interface JobEstimate {
  parameters: number;
  memoryBytes: number;
  tokensPerEpoch: number;
  totalSteps: number;
  seconds: number;
  limits: { memoryBytes: number; seconds: number };
}

export interface Job {
  id: string;
  ownerId: string;
  datasetVersionId: string;
  /** The dataset version has a validation split the trainer measures loss on. */
  hasValidation: boolean;
  /** The architecture preset trained from scratch. */
  model: string;
  suffix: string | null;
  hyperparameters: Hyperparameters;
  modelConfig: LlamaConfigShape;
  estimate: JobEstimate;
  state: JobState;
  error: JobError | null;
  trainer: string;
  workDir: string;
  attempt: number;
  maxAttempts: number;
  resumeCheckpointId: string | null;
  cancelRequested: boolean;
  step: number;
  totalSteps: number | null;
  trainedTokens: number;
  fineTunedModelId: string | null;
  heartbeatAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobEvent {
  id: string;
  jobId: string;
  level: 'info' | 'warn' | 'error';
  type: 'message' | 'metrics';
  message: string;
  data: Record<string, unknown> | null;
  createdAt: string;
}

export interface Checkpoint {
  id: string;
  jobId: string;
  step: number;
  trainLoss: number | null;
  validLoss: number | null;
  validPerplexity: number | null;
  /** Directory of the trainer's checkpoint files. */
  artifactPath: string;
  createdAt: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}
