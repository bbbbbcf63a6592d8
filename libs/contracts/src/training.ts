import { z } from 'zod';

/**
 * Model training: fine-tuning jobs on frozen dataset versions, in the
 * platform's own API (`/api/training`) and in OpenAI's fine-tuning API
 * (`/v1/fine_tuning/jobs`), whose response shapes the official clients read.
 */

/** The platform's hyperparameters; any left out take the service's defaults. */
export const trainingHyperparametersBody = z
  .object({
    nEpochs: z.number().int().min(1).max(100),
    batchSize: z.number().int().min(1).max(256),
    learningRateMultiplier: z.number().positive().max(100),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    contextLength: z.number().int().min(8).max(4096),
    vocabSize: z.number().int().min(261).max(8192),
    evalEvery: z.number().int().min(1).max(100_000),
    checkpointEvery: z.number().int().min(1).max(100_000),
  })
  .partial()
  .strict();
export type TrainingHyperparametersBody = z.infer<typeof trainingHyperparametersBody>;

export const createTrainingJobBody = z
  .object({
    datasetVersionId: z.string().min(1).max(200),
    model: z.string().min(1).max(200).optional(),
    suffix: z.string().max(64).nullable().optional(),
    hyperparameters: trainingHyperparametersBody.optional(),
  })
  .strict();
export type CreateTrainingJobBody = z.infer<typeof createTrainingJobBody>;

/** Pages of jobs, events and checkpoints: `after` is the last id of the page before. */
export const trainingPageQuery = z.object({
  after: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type TrainingPageQuery = z.infer<typeof trainingPageQuery>;

const auto = <T extends z.ZodType>(schema: T) => z.union([z.literal('auto'), schema]).optional();

/** OpenAI's three hyperparameters ("auto" or a value), and the platform's own beside them. */
export const fineTuningHyperparameters = z
  .object({
    n_epochs: auto(z.number().int().min(1).max(100)),
    batch_size: auto(z.number().int().min(1).max(256)),
    learning_rate_multiplier: auto(z.number().positive().max(100)),
    context_length: z.number().int().min(8).max(4096).optional(),
    vocab_size: z.number().int().min(261).max(8192).optional(),
    eval_every: z.number().int().min(1).max(100_000).optional(),
    checkpoint_every: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

/** `POST /v1/fine_tuning/jobs`: `training_file` names a frozen dataset version, whose validation split is the validation data. */
export const createFineTuningJobBody = z.object({
  model: z.string().min(1).max(200),
  training_file: z.string().min(1).max(200),
  validation_file: z.string().max(200).nullable().optional(),
  hyperparameters: fineTuningHyperparameters.optional(),
  method: z.object({ type: z.literal('supervised'), supervised: z.object({ hyperparameters: fineTuningHyperparameters.optional() }).optional() }).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).nullable().optional(),
  suffix: z.string().max(64).nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  integrations: z.array(z.unknown()).max(0, 'integrations are not supported').nullable().optional(),
});
export type CreateFineTuningJobBody = z.infer<typeof createFineTuningJobBody>;

const unixSeconds = z.number().int();
const openAiHyperparameters = z.object({ n_epochs: z.number(), batch_size: z.number(), learning_rate_multiplier: z.number() });

export const FINE_TUNING_JOB_STATUSES = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** OpenAI's `fine_tuning.job` object. */
export const fineTuningJobSchema = z.object({
  object: z.literal('fine_tuning.job'),
  id: z.string(),
  created_at: unixSeconds,
  error: z.object({ code: z.string(), message: z.string(), param: z.string().nullable() }).nullable(),
  fine_tuned_model: z.string().nullable(),
  finished_at: unixSeconds.nullable(),
  hyperparameters: openAiHyperparameters,
  model: z.string(),
  organization_id: z.string(),
  result_files: z.array(z.string()),
  seed: z.number().int(),
  status: z.enum(FINE_TUNING_JOB_STATUSES),
  trained_tokens: z.number().int().nullable(),
  training_file: z.string(),
  validation_file: z.string().nullable(),
  estimated_finish: unixSeconds.nullable(),
  integrations: z.null(),
  metadata: z.null(),
  user_provided_suffix: z.string().nullable(),
  method: z.object({ type: z.literal('supervised'), supervised: z.object({ hyperparameters: openAiHyperparameters }) }),
});
export type FineTuningJob = z.infer<typeof fineTuningJobSchema>;

/** OpenAI's `fine_tuning.job.event` object. */
export const fineTuningJobEventSchema = z.object({
  object: z.literal('fine_tuning.job.event'),
  id: z.string(),
  created_at: unixSeconds,
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
  type: z.enum(['message', 'metrics']),
});
export type FineTuningJobEvent = z.infer<typeof fineTuningJobEventSchema>;

/** OpenAI's `fine_tuning.job.checkpoint` object. */
export const fineTuningJobCheckpointSchema = z.object({
  object: z.literal('fine_tuning.job.checkpoint'),
  id: z.string(),
  created_at: unixSeconds,
  fine_tuned_model_checkpoint: z.string(),
  fine_tuning_job_id: z.string(),
  step_number: z.number().int(),
  metrics: z.object({
    step: z.number().int(),
    train_loss: z.number().nullable(),
    valid_loss: z.number().nullable(),
    full_valid_loss: z.number().nullable(),
    train_mean_token_accuracy: z.number().nullable(),
    valid_mean_token_accuracy: z.number().nullable(),
    full_valid_mean_token_accuracy: z.number().nullable(),
  }),
});
export type FineTuningJobCheckpoint = z.infer<typeof fineTuningJobCheckpointSchema>;

/** OpenAI's list envelope. */
export interface OpenAiList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}
