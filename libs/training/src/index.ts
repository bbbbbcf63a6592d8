export * from './training.app';
export * from './training.config';
export * from './migrations';
export * from './runtime/protocol';
export { superviseTrainer, type TrainerCommand, type TrainerOutcome, type SupervisorOptions } from './runtime/supervisor';
export { MODEL_PRESETS, type ModelPreset } from './jobs/presets';
export type { Job, JobEvent, Checkpoint, JobState, Hyperparameters, JobError, JobEstimate } from './jobs/job';
export type { TrainedModel } from './models/model';
