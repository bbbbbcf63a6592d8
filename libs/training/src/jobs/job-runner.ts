import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serviceIdentity } from '@llmp/auth';
import { newId, type Logger } from '@llmp/core';
import type { DatasetSource } from '../datasets/dataset-source';
import type { ModelStore } from '../models/model.store';
import type { TrainerLine, TrainerSpec } from '../runtime/protocol';
import { superviseTrainer, type SupervisedTrainer, type SupervisorOptions, type TrainerCommand, type TrainerOutcome } from '../runtime/supervisor';
import type { Job } from './job';
import type { JobProgress, JobStore } from './job.store';
import { tidyWorkDir } from './work-dir';

export interface JobRunnerDeps {
  jobs: JobStore;
  models: ModelStore;
  datasets: DatasetSource;
  trainer: TrainerCommand;
  supervision: SupervisorOptions;
  /** Peak learning rate before the job's multiplier. */
  baseLearningRate: number;
  threads: number;
  log: Logger;
  /** How often the runner says it is alive and checks for a cancel (default 2000). */
  heartbeatMs?: number;
  /** How often it looks for queued and abandoned jobs (default 10000); a job created by this process wakes it at once. */
  pollMs?: number;
  /** A running job whose runner has not beaten for this long is taken back (default: the stall timeout). */
  staleSeconds?: number;
}

export interface JobRunner {
  start(): void;
  /** A job was queued: look now rather than at the next poll. */
  wake(): void;
  /** Stops the job's trainer if this process runs it; its outcome is `cancelled`. */
  cancel(jobId: string): void;
  /** The job has finished: let go of its dataset version, and remove its scratch files (all but listed checkpoints and the model's file). */
  released(job: Job, modelPath?: string | null): Promise<void>;
  /** Takes back running jobs whose runner is gone: queued again to resume from their last checkpoint, or failed. */
  recover(): Promise<void>;
  /** Stops taking jobs; a job in progress is stopped and queued again to resume from its last checkpoint. */
  stop(): Promise<void>;
}

interface Active {
  job: Job;
  trainer: SupervisedTrainer;
  shuttingDown: boolean;
  done: Promise<void>;
}

const round = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(4));

/**
 * Runs queued jobs one at a time in this process (a job uses every core it
 * is given), each as a supervised trainer process, and records what the
 * trainer reports. Nothing is left `running` for good: a trainer that
 * misbehaves fails its job with a reason, and a runner that dies (crash,
 * `kill -9`) stops beating, so any runner on the database requeues its job
 * to resume from the last checkpoint, or fails it after its last attempt.
 */
export function createJobRunner({ jobs, models, datasets, trainer, supervision, baseLearningRate, threads, log, heartbeatMs = 2000, pollMs = 10_000, staleSeconds }: JobRunnerDeps): JobRunner {
  const runnerId = `runner_${randomBytes(6).toString('hex')}`;
  const staleAfter = staleSeconds ?? Math.ceil(supervision.stallTimeoutMs / 1000);
  let active: Active | null = null;
  let stopped = true;
  let wakeUp: (() => void) | null = null;
  let loop: Promise<void> | null = null;

  async function released(job: Job, modelPath: string | null = null): Promise<void> {
    await datasets.release(serviceIdentity('model-training'), job.datasetVersionId, job.id).catch((error: Error) => log.warn({ jobId: job.id, err: error.message }, 'could not release the dataset version hold'));
    await tidy(job, modelPath).catch((error: Error) => log.warn({ jobId: job.id, err: error.message }, "could not tidy the job's directory"));
  }

  /** A finished job keeps its listed checkpoints and its model's file; the rest of its directory is scratch. */
  async function tidy(job: Job, modelPath: string | null): Promise<void> {
    const keep = modelPath ? [modelPath] : [];
    for (let after: string | undefined; ; ) {
      const page = await jobs.listCheckpoints(job.id, { after, limit: 100 });
      keep.push(...page.data.map((c) => c.artifactPath));
      if (!page.hasMore || !page.data.length) break;
      after = page.data[page.data.length - 1].id;
    }
    const removed = await tidyWorkDir(job.workDir, keep);
    if (removed.length) log.info({ jobId: job.id, removed: removed.length }, "removed the finished job's scratch files");
  }

  async function specFor(job: Job): Promise<string> {
    const checkpoint = job.resumeCheckpointId ? await jobs.getCheckpoint(job.resumeCheckpointId) : null;
    const { modelConfig: c, hyperparameters: hp } = job;
    const spec: TrainerSpec = {
      protocol: 1,
      jobId: job.id,
      workDir: job.workDir,
      trainFile: path.join(job.workDir, 'train.ndjson'),
      validationFile: job.hasValidation ? path.join(job.workDir, 'validation.ndjson') : null,
      model: { preset: job.model, dModel: c.dModel, nLayers: c.nLayers, nHeads: c.nHeads, ffnHidden: c.ffnHidden, ropeTheta: c.ropeTheta, rmsEps: c.rmsEps, tiedEmbeddings: c.tiedEmbeddings },
      hyperparameters: {
        nEpochs: hp.nEpochs,
        batchSize: hp.batchSize,
        learningRate: baseLearningRate * hp.learningRateMultiplier,
        seed: hp.seed,
        contextLength: hp.contextLength,
        vocabSize: hp.vocabSize,
        evalEvery: hp.evalEvery,
        checkpointEvery: hp.checkpointEvery,
      },
      threads,
      resumeFrom: checkpoint?.artifactPath ?? null,
      output: { path: path.join(job.workDir, 'model.gguf'), format: 'gguf', fileType: 'f32' },
    };
    const file = path.join(job.workDir, `spec-attempt-${job.attempt}.json`);
    await writeFile(file, JSON.stringify(spec, null, 2));
    return file;
  }

  async function record(job: Job, line: TrainerLine, progress: JobProgress): Promise<void> {
    switch (line.type) {
      case 'log':
        await jobs.addEvent(job.id, { level: line.level, message: line.message });
        return;
      case 'progress':
        progress.step = line.step;
        progress.totalSteps = line.totalSteps;
        progress.trainedTokens = line.tokens;
        return;
      case 'metric':
        await jobs.addEvent(job.id, {
          type: 'metrics',
          message: `Step ${line.step}/${progress.totalSteps ?? '?'}: training loss=${round(line.trainLoss)}, validation loss=${round(line.validLoss)}`,
          data: { step: line.step, train_loss: line.trainLoss, valid_loss: line.validLoss ?? null, valid_perplexity: line.validPerplexity ?? null, total_steps: progress.totalSteps ?? null },
        });
        return;
      case 'checkpoint': {
        const checkpoint = await jobs.addCheckpoint(job.id, { step: line.step, trainLoss: line.trainLoss, validLoss: line.validLoss, validPerplexity: line.validPerplexity, artifactPath: line.path });
        await jobs.addEvent(job.id, { message: `Checkpoint ${checkpoint.id} saved at step ${line.step}`, data: { checkpoint_id: checkpoint.id, step: line.step } });
        return;
      }
      case 'error':
        await jobs.addEvent(job.id, { level: 'error', message: `The trainer failed: ${line.message}` });
        return;
      case 'done':
        return;
    }
  }

  async function finish(job: Job, outcome: TrainerOutcome, shuttingDown: boolean): Promise<void> {
    const current = await jobs.get(job.id);
    if (!current || current.state !== 'running') return;
    if (outcome.outcome === 'succeeded') {
      const { done } = outcome;
      const checkpoint = await jobs.latestCheckpoint(job.id);
      const model = await models.insert({
        id: newId('model'),
        ownerId: job.ownerId,
        jobId: job.id,
        checkpointId: checkpoint?.id ?? null,
        baseModel: job.model,
        datasetVersionId: job.datasetVersionId,
        hyperparameters: job.hyperparameters,
        modelConfig: job.modelConfig,
        metrics: { trainLoss: done.trainLoss, validLoss: done.validLoss, validPerplexity: done.validPerplexity, steps: done.step, trainedTokens: done.trainedTokens },
        format: 'gguf',
        sizeBytes: (await stat(done.modelPath)).size,
        artifactPath: done.modelPath,
      });
      await jobs.heartbeat(job.id, runnerId, { step: done.step, trainedTokens: done.trainedTokens });
      await jobs.addEvent(job.id, { message: `New fine-tuned model created: ${model.id}`, data: { model_id: model.id } });
      // The hold goes before the final state, so whoever sees the job finished sees the dataset free (and its directory tidy).
      await released(job, model.artifactPath);
      await jobs.transition(job.id, ['running'], 'succeeded', { fineTunedModelId: model.id, finished: true });
      await jobs.addEvent(job.id, { message: 'The job has successfully completed' });
      log.info({ jobId: job.id, modelId: model.id }, 'fine-tuning job succeeded');
      return;
    }
    if (shuttingDown && !current.cancelRequested) {
      const checkpoint = await jobs.latestCheckpoint(job.id);
      await jobs.transition(job.id, ['running'], 'queued', { resumeCheckpointId: checkpoint?.id ?? null });
      await jobs.addEvent(job.id, { level: 'warn', message: `The training service stopped; the job is queued to resume from ${checkpoint ? `the checkpoint at step ${checkpoint.step}` : 'the beginning'}` });
      return;
    }
    await released(job);
    if (outcome.outcome === 'cancelled') {
      await jobs.transition(job.id, ['running'], 'cancelled', { finished: true });
      await jobs.addEvent(job.id, { message: 'Fine-tuning job cancelled' });
      log.info({ jobId: job.id }, 'fine-tuning job cancelled');
    } else {
      await jobs.transition(job.id, ['running'], 'failed', { error: outcome.error, finished: true });
      await jobs.addEvent(job.id, { level: 'error', message: `Fine-tuning job failed: ${outcome.error.message}`, data: { code: outcome.error.code } });
      log.warn({ jobId: job.id, code: outcome.error.code, reason: outcome.error.message }, 'fine-tuning job failed');
    }
  }

  function run(job: Job): Active {
    const progress: JobProgress = {};
    const entry = { job, shuttingDown: false } as Active;
    const started = (async () => {
      const resumedFrom = job.resumeCheckpointId ? await jobs.getCheckpoint(job.resumeCheckpointId) : null;
      await jobs.addEvent(job.id, { message: resumedFrom ? `Fine-tuning job resumed from the checkpoint at step ${resumedFrom.step} (attempt ${job.attempt})` : `Fine-tuning job started (attempt ${job.attempt})` });
      return specFor(job);
    })();
    entry.done = started
      .then(async (specPath) => {
        entry.trainer = superviseTrainer(trainer, specPath, supervision, (line) => record(job, line, progress));
        if (entry.shuttingDown) entry.trainer.cancel();
        const beat = setInterval(() => {
          void (async () => {
            const mine = await jobs.heartbeat(job.id, runnerId, progress);
            const current = await jobs.get(job.id);
            if (!mine || current?.cancelRequested) entry.trainer.cancel();
          })().catch((error: Error) => log.warn({ jobId: job.id, err: error.message }, 'heartbeat failed'));
        }, heartbeatMs);
        try {
          const outcome = await entry.trainer.result;
          await jobs.heartbeat(job.id, runnerId, progress);
          await finish(job, outcome, entry.shuttingDown);
        } finally {
          clearInterval(beat);
        }
      })
      .catch(async (error: Error) => {
        log.error({ jobId: job.id, err: error }, 'running a fine-tuning job failed');
        await finish(job, { outcome: 'failed', error: { code: 'runner_failed', message: `the job could not be run: ${error.message}`, param: null } }, false).catch(() => undefined);
      })
      .finally(() => {
        if (active === entry) active = null;
        wakeUp?.();
      });
    return entry;
  }

  async function recover(): Promise<void> {
    for (const job of await jobs.findStale(staleAfter)) {
      if (active?.job.id === job.id) continue;
      const checkpoint = await jobs.latestCheckpoint(job.id);
      const silent = `its runner stopped responding (no heartbeat for ${staleAfter} s)`;
      if (job.cancelRequested) {
        await released(job);
        if (await jobs.transition(job.id, ['running'], 'cancelled', { finished: true })) await jobs.addEvent(job.id, { message: `Fine-tuning job cancelled (${silent})` });
      } else if (job.attempt < job.maxAttempts) {
        if (await jobs.transition(job.id, ['running'], 'queued', { resumeCheckpointId: checkpoint?.id ?? null })) {
          await jobs.addEvent(job.id, { level: 'warn', message: `Attempt ${job.attempt} stopped: ${silent}; queued to resume from ${checkpoint ? `the checkpoint at step ${checkpoint.step}` : 'the beginning (no checkpoint yet)'}` });
          log.warn({ jobId: job.id, checkpoint: checkpoint?.id }, 'requeued a fine-tuning job whose runner was lost');
        }
      } else {
        const error = { code: 'runner_lost', message: `${silent} on attempt ${job.attempt} of ${job.maxAttempts}; the job is not retried again`, param: null };
        await released(job);
        if (await jobs.transition(job.id, ['running'], 'failed', { error, finished: true })) await jobs.addEvent(job.id, { level: 'error', message: `Fine-tuning job failed: ${error.message}`, data: { code: error.code } });
      }
    }
  }

  async function poll(): Promise<void> {
    while (!stopped) {
      try {
        await recover();
        if (!active) {
          const job = await jobs.claimNext(runnerId);
          if (job) active = run(job);
        }
      } catch (error) {
        log.error({ err: error }, 'the fine-tuning runner could not poll for jobs');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = poll();
    },
    wake: () => wakeUp?.(),
    cancel(jobId) {
      if (active?.job.id === jobId) active.trainer?.cancel();
    },
    released,
    recover,
    async stop() {
      stopped = true;
      wakeUp?.();
      const current = active;
      if (current) {
        current.shuttingDown = true;
        current.trainer?.cancel();
        await current.done;
      }
      await loop;
    },
  };
}
