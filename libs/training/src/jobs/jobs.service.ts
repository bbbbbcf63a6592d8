import { randomInt } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { conflict, invalid, newId, notFound, sleep, unprocessable, type Logger } from '@llmp/core';
import { roleSatisfies, type Identity } from '@llmp/contracts';
import type { DatasetSource } from '../datasets/dataset-source';
import type { JobRunner } from './job-runner';
import { FINISHED_STATES, type Checkpoint, type Hyperparameters, type Job, type JobEvent, type Page } from './job';
import type { JobStore, PageQuery } from './job.store';
import { removeWorkDir } from './work-dir';
import { assertFits, estimateJob, type Calibration, type Limits } from './preflight';
import { DEFAULT_PRESET, findPreset, MODEL_PRESETS, type LlamaConfigShape } from './presets';

export interface CreateJobInput {
  datasetVersionId: string;
  /** An architecture preset (`llmp-llama-small`). */
  model?: string;
  suffix?: string | null;
  hyperparameters?: Partial<Hyperparameters>;
}

export interface JobsServiceDeps {
  jobs: JobStore;
  datasets: DatasetSource;
  runner: JobRunner;
  /** Each job's records, checkpoints and model live under `<workRoot>/jobs/<job id>`. */
  workRoot: string;
  limits: Limits;
  calibration: Calibration;
  /** Trainer threads per job. */
  threads: number;
  log: Logger;
  /** How often a follower of a job's events looks for new ones (default 500). */
  followIntervalMs?: number;
}

export interface JobsService {
  create(identity: Identity, input: CreateJobInput): Promise<Job>;
  list(identity: Identity, query: PageQuery): Promise<Page<Job>>;
  get(identity: Identity, id: string): Promise<Job>;
  cancel(identity: Identity, id: string): Promise<Job>;
  /** Deletes a finished job: its events, checkpoints, model and directory. */
  delete(identity: Identity, id: string): Promise<void>;
  events(identity: Identity, id: string, query: PageQuery): Promise<Page<JobEvent>>;
  /** The job's events from `after` on, as they come, until the job has finished and they have all been given. */
  follow(identity: Identity, id: string, options: { after?: string; signal: AbortSignal }): AsyncGenerator<JobEvent>;
  checkpoints(identity: Identity, id: string, query: PageQuery): Promise<Page<Checkpoint>>;
}

/** Defaults of what a job may leave out; the seed is drawn once and kept, so any job can be replayed. */
export const DEFAULT_HYPERPARAMETERS: Omit<Hyperparameters, 'seed' | 'contextLength'> = { nEpochs: 3, batchSize: 8, learningRateMultiplier: 1, vocabSize: 512, evalEvery: 10, checkpointEvery: 20 };
/** The built-in trainer's peak learning rate, which `learningRateMultiplier` scales. */
export const BASE_LEARNING_RATE = 3e-3;
const DEFAULT_CONTEXT_LENGTH = 64;
/** Special tokens around each message (role, end) and each record (begin): added to the byte count for an upper bound of tokens. */
const TOKENS_PER_MESSAGE = 2;

export function createJobsService({ jobs, datasets, runner, workRoot, limits, calibration, threads, log, followIntervalMs = 500 }: JobsServiceDeps): JobsService {
  const mayManage = (identity: Identity) => roleSatisfies(identity.role, 'manager');

  async function visibleJob(identity: Identity, id: string): Promise<Job> {
    const job = await jobs.get(id);
    // Someone else's job is as absent as one that never existed.
    if (!job || (job.ownerId !== identity.userId && !mayManage(identity))) throw notFound({ code: 'fine_tuning_job_not_found', message: `fine-tuning job ${id} does not exist` });
    return job;
  }

  function resolveModel(input: CreateJobInput): { preset: NonNullable<ReturnType<typeof findPreset>>; hyperparameters: Hyperparameters } {
    const name = input.model ?? DEFAULT_PRESET;
    const preset = findPreset(name);
    if (!preset) throw invalid({ code: 'model_not_available', message: `model "${name}" is not available; the built-in trainer trains ${MODEL_PRESETS.map((p) => p.name).join(', ')}`, details: { param: 'model' } });
    const given = input.hyperparameters ?? {};
    const hyperparameters: Hyperparameters = {
      ...DEFAULT_HYPERPARAMETERS,
      contextLength: Math.min(DEFAULT_CONTEXT_LENGTH, preset.maxContextLength),
      seed: randomInt(0, 2 ** 31 - 1),
      ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
    };
    if (hyperparameters.contextLength > preset.maxContextLength) {
      throw invalid({
        code: 'context_length_too_long',
        message: `hyperparameters.contextLength ${hyperparameters.contextLength} is longer than ${preset.name} allows (${preset.maxContextLength})`,
        details: { param: 'hyperparameters.context_length' },
      });
    }
    return { preset, hyperparameters };
  }

  return {
    async create(identity, input) {
      const { preset, hyperparameters } = resolveModel(input);
      const version = await datasets.getVersion(identity, input.datasetVersionId);
      if (version.counts.train === 0) throw unprocessable({ code: 'empty_training_split', message: `dataset version ${version.id} has no records in its train split`, details: { param: 'training_file' } });

      const id = newId('ftjob');
      const workDir = path.join(workRoot, 'jobs', id);
      await mkdir(workDir, { recursive: true });
      try {
        const train = await datasets.downloadSplit(identity, version.id, 'train', path.join(workDir, 'train.ndjson'));
        if (train.records === 0) throw unprocessable({ code: 'empty_training_split', message: `dataset version ${version.id} has no records in its train split`, details: { param: 'training_file' } });
        const hasValidation = version.counts.validation > 0;
        const validation = hasValidation ? await datasets.downloadSplit(identity, version.id, 'validation', path.join(workDir, 'validation.ndjson')) : null;
        const modelConfig: LlamaConfigShape = { ...preset.shape, vocabSize: Math.max(hyperparameters.vocabSize, 261), contextLength: hyperparameters.contextLength };
        const estimate = estimateJob({ config: modelConfig, hyperparameters, tokensPerEpoch: train.contentBytes + TOKENS_PER_MESSAGE * train.messages + train.records, threads }, calibration, limits);
        assertFits(estimate);
        let job = await jobs.insert({ id, ownerId: identity.userId, datasetVersionId: version.id, hasValidation, model: preset.name, suffix: input.suffix ?? null, hyperparameters, modelConfig, estimate, workDir, trainer: 'built-in', maxAttempts: 3 });
        // Held once the job exists, so a hold never outlives a job that was not recorded.
        await datasets.hold(identity, version.id, id);
        await jobs.addEvent(id, { message: `Validating training file: dataset version ${version.id}` });
        await jobs.addEvent(id, {
          message: `Files validated: ${train.records} training records${validation ? `, ${validation.records} validation records` : ''}; estimated ${estimate.parameters} parameters, ${estimate.totalSteps} steps, about ${estimate.seconds} s`,
          data: { estimate },
        });
        job = (await jobs.transition(id, ['validating_files'], 'queued')) ?? job;
        await jobs.addEvent(id, { message: 'Fine-tuning job queued' });
        runner.wake();
        log.info({ jobId: id, datasetVersionId: version.id, model: preset.name }, 'fine-tuning job created');
        return job;
      } catch (error) {
        const inserted = await jobs.get(id);
        if (!inserted) await rm(workDir, { recursive: true, force: true });
        else if (inserted.state === 'validating_files') {
          // Whatever went wrong after the job was recorded, it must not wait in validating_files for ever.
          await jobs.transition(id, ['validating_files'], 'failed', { error: { code: 'validation_failed', message: `the job could not be queued: ${(error as Error).message}`, param: null }, finished: true });
          await runner.released(inserted);
        }
        throw error;
      }
    },

    list(identity, query) {
      return jobs.list({ ...query, ownerId: mayManage(identity) ? undefined : identity.userId });
    },

    get: visibleJob,

    async cancel(identity, id) {
      const job = await visibleJob(identity, id);
      if (job.state === 'cancelled') throw conflict({ code: 'job_already_cancelled', message: `fine-tuning job ${id} is already cancelled` });
      if (FINISHED_STATES.includes(job.state)) throw conflict({ code: 'job_already_finished', message: `fine-tuning job ${id} has already ${job.state}; only a job that has not finished can be cancelled` });
      if (job.cancelRequested) throw conflict({ code: 'job_already_cancelling', message: `fine-tuning job ${id} is already being cancelled` });
      const waiting = await jobs.transition(id, ['validating_files', 'queued'], 'cancelled', { finished: true });
      if (waiting) {
        await runner.released(waiting);
        await jobs.addEvent(id, { message: 'Fine-tuning job cancelled before it started' });
        return waiting;
      }
      const requested = await jobs.requestCancel(id);
      await jobs.addEvent(id, { message: 'Cancelling: the trainer is being stopped' });
      runner.cancel(id);
      return requested ?? job;
    },

    async delete(identity, id) {
      const job = await visibleJob(identity, id);
      if (!FINISHED_STATES.includes(job.state)) {
        throw conflict({ code: 'job_not_finished', message: `fine-tuning job ${id} is ${job.state}; cancel it and wait until it is cancelled before deleting it` });
      }
      const deleted = await jobs.deleteFinished(id);
      if (!deleted) throw conflict({ code: 'job_not_finished', message: `fine-tuning job ${id} is no longer finished; it cannot be deleted now` });
      await removeWorkDir(workRoot, deleted.workDir);
      log.info({ jobId: id, modelId: deleted.fineTunedModelId }, 'fine-tuning job deleted with its model and files');
    },

    async events(identity, id, query) {
      await visibleJob(identity, id);
      return jobs.listEvents(id, query);
    },

    async *follow(identity, id, { after, signal }) {
      await visibleJob(identity, id);
      let cursor = after;
      while (!signal.aborted) {
        const page = await jobs.listEvents(id, { after: cursor, limit: 100, order: 'asc' });
        for (const event of page.data) yield event;
        if (page.data.length) cursor = page.data[page.data.length - 1].id;
        if (page.hasMore) continue;
        const job = await jobs.get(id);
        if (!job || FINISHED_STATES.includes(job.state)) {
          // Events written with the final state are in by now; give the last of them.
          const rest = await jobs.listEvents(id, { after: cursor, limit: 100, order: 'asc' });
          for (const event of rest.data) yield event;
          return;
        }
        await sleep(followIntervalMs, signal).catch(() => undefined);
      }
    },

    async checkpoints(identity, id, query) {
      await visibleJob(identity, id);
      return jobs.listCheckpoints(id, query);
    },
  };
}
