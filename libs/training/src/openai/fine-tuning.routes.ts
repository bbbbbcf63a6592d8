import { createFineTuningJobBody, trainingPageQuery, type FineTuningJob, type FineTuningJobCheckpoint, type FineTuningJobEvent, type OpenAiList } from '@llmp/contracts';
import { invalid } from '@llmp/core';
import { route, type RouteSpec } from '@llmp/http';
import type { Checkpoint, Job, JobEvent } from '../jobs/job';
import type { JobsService } from '../jobs/jobs.service';

/**
 * OpenAI's fine-tuning API (`/v1/fine_tuning/jobs`) over the same jobs, in
 * its response shapes, so the official clients work unmodified. A
 * `training_file` names a frozen dataset version, whose own validation
 * split is the validation data. Errors under the prefix answer in OpenAI's
 * error shape (`mountOpenAiErrors`), which the clients turn into typed errors.
 */
export const FINE_TUNING_PREFIX = '/v1/fine_tuning';

function unix(iso: string): number;
function unix(iso: string | null): number | null;
function unix(iso: string | null): number | null {
  return iso === null ? null : Math.floor(Date.parse(iso) / 1000);
}

export function openAiJob(job: Job): FineTuningJob {
  const hp = { n_epochs: job.hyperparameters.nEpochs, batch_size: job.hyperparameters.batchSize, learning_rate_multiplier: job.hyperparameters.learningRateMultiplier };
  const remaining = job.state === 'running' && job.totalSteps && job.step > 0 && job.startedAt ? ((Date.now() - Date.parse(job.startedAt)) / job.step) * (job.totalSteps - job.step) : null;
  return {
    object: 'fine_tuning.job' as const,
    id: job.id,
    created_at: unix(job.createdAt),
    error: job.error,
    fine_tuned_model: job.fineTunedModelId,
    finished_at: unix(job.finishedAt),
    hyperparameters: hp,
    model: job.model,
    organization_id: 'org-llmp',
    result_files: [] as string[],
    seed: job.hyperparameters.seed,
    status: job.state,
    trained_tokens: job.state === 'succeeded' ? job.trainedTokens : null,
    training_file: job.datasetVersionId,
    validation_file: job.hasValidation ? job.datasetVersionId : null,
    estimated_finish: remaining === null ? null : Math.floor((Date.now() + remaining) / 1000),
    integrations: null,
    metadata: null,
    user_provided_suffix: job.suffix,
    method: { type: 'supervised' as const, supervised: { hyperparameters: hp } },
  };
}

function openAiEvent(event: JobEvent): FineTuningJobEvent {
  return { object: 'fine_tuning.job.event' as const, id: event.id, created_at: unix(event.createdAt), level: event.level, message: event.message, data: event.data ?? {}, type: event.type };
}

function openAiCheckpoint(c: Checkpoint, job: Job): FineTuningJobCheckpoint {
  return {
    object: 'fine_tuning.job.checkpoint' as const,
    id: c.id,
    created_at: unix(c.createdAt),
    fine_tuned_model_checkpoint: `${job.model}:ckpt-step-${c.step}:${job.id}`,
    fine_tuning_job_id: c.jobId,
    step_number: c.step,
    metrics: { step: c.step, train_loss: c.trainLoss, valid_loss: c.validLoss, full_valid_loss: c.validLoss, train_mean_token_accuracy: null, valid_mean_token_accuracy: null, full_valid_mean_token_accuracy: null },
  };
}

function list<T extends { id: string }>(data: T[], hasMore: boolean): OpenAiList<T> {
  return { object: 'list' as const, data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null };
}

export function fineTuningRoutes(jobs: JobsService): RouteSpec[] {
  const tag = 'openai';
  return [
    route({
      method: 'post',
      path: `${FINE_TUNING_PREFIX}/jobs`,
      tag,
      summary: 'OpenAI-compatible: create a fine-tuning job (training_file = a frozen dataset version id)',
      access: 'user',
      body: createFineTuningJobBody,
      handle: async ({ body, identity }) => {
        const hp = { ...body.hyperparameters, ...body.method?.supervised?.hyperparameters };
        const given = <T>(v: T | 'auto' | undefined) => (v === 'auto' ? undefined : v);
        if (body.validation_file && body.validation_file !== body.training_file) {
          throw invalid({
            code: 'validation_file_not_supported',
            message: `validation_file must be empty or the training_file: the validation data is the validation split of dataset version ${body.training_file}`,
            details: { param: 'validation_file' },
          });
        }
        const job = await jobs.create(identity!, {
          datasetVersionId: body.training_file,
          model: body.model,
          suffix: body.suffix ?? null,
          hyperparameters: {
            nEpochs: given(hp.n_epochs),
            batchSize: given(hp.batch_size),
            learningRateMultiplier: given(hp.learning_rate_multiplier),
            seed: body.seed ?? undefined,
            contextLength: hp.context_length,
            vocabSize: hp.vocab_size,
            evalEvery: hp.eval_every,
            checkpointEvery: hp.checkpoint_every,
          },
        });
        return openAiJob(job);
      },
    }),
    route({
      method: 'get',
      path: `${FINE_TUNING_PREFIX}/jobs`,
      tag,
      summary: 'OpenAI-compatible: list your fine-tuning jobs, newest first',
      access: 'user',
      query: trainingPageQuery,
      handle: async ({ query, identity }) => {
        const page = await jobs.list(identity!, query);
        return list(page.data.map(openAiJob), page.hasMore);
      },
    }),
    route({
      method: 'get',
      path: `${FINE_TUNING_PREFIX}/jobs/:id`,
      tag,
      summary: 'OpenAI-compatible: retrieve a fine-tuning job',
      access: 'user',
      handle: async ({ params, identity }) => openAiJob(await jobs.get(identity!, params.id)),
    }),
    route({
      method: 'post',
      path: `${FINE_TUNING_PREFIX}/jobs/:id/cancel`,
      tag,
      summary: 'OpenAI-compatible: cancel a fine-tuning job',
      access: 'user',
      handle: async ({ params, identity }) => openAiJob(await jobs.cancel(identity!, params.id)),
    }),
    route({
      method: 'get',
      path: `${FINE_TUNING_PREFIX}/jobs/:id/events`,
      tag,
      summary: "OpenAI-compatible: a job's events, newest first",
      access: 'user',
      query: trainingPageQuery,
      handle: async ({ params, query, identity }) => {
        const page = await jobs.events(identity!, params.id, { ...query, order: 'desc' });
        return list(page.data.map(openAiEvent), page.hasMore);
      },
    }),
    route({
      method: 'get',
      path: `${FINE_TUNING_PREFIX}/jobs/:id/checkpoints`,
      tag,
      summary: "OpenAI-compatible: a job's checkpoints, newest first",
      access: 'user',
      query: trainingPageQuery,
      handle: async ({ params, query, identity }) => {
        const job = await jobs.get(identity!, params.id);
        const page = await jobs.checkpoints(identity!, params.id, query);
        return list(
          page.data.map((c) => openAiCheckpoint(c, job)),
          page.hasMore,
        );
      },
    }),
  ];
}
