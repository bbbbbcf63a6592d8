import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createServiceClient } from '@llmp/auth';
import { mountOpenAiErrors, type HttpApp } from '@llmp/http';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import { createHttpDatasetSource, type DatasetSource } from './datasets/dataset-source';
import { createJobRunner, type JobRunner } from './jobs/job-runner';
import { createPgJobStore, type JobStore } from './jobs/job.store';
import { trainingRoutes } from './jobs/jobs.routes';
import { BASE_LEARNING_RATE, createJobsService, type JobsService } from './jobs/jobs.service';
import { DEFAULT_CALIBRATION, type Calibration, type Limits } from './jobs/preflight';
import { trainingMigrations } from './migrations';
import { createPgModelStore, type ModelStore } from './models/model.store';
import { createModelsService, type ModelsService } from './models/models.service';
import { FINE_TUNING_PREFIX, fineTuningRoutes } from './openai/fine-tuning.routes';
import { builtInTrainerCommand } from './runtime/built-in-trainer-command';
import type { SupervisorOptions, TrainerCommand } from './runtime/supervisor';

export interface TrainingOptions {
  /** Jobs' records, checkpoints and models go under it. */
  trainingDir: string;
  /** The datasets service (data-structuring); a function for the embedded platform, whose services listen after they are built. */
  structuringUrl: string | (() => string);
  limits?: Partial<Limits>;
  calibration?: Calibration;
  /** Trainer threads per job (default: every core, at most 2). */
  threads?: number;
  supervision?: Partial<SupervisorOptions>;
  /** How the trainer process is started (default: the built-in trainer). */
  trainer?: TrainerCommand;
  runner?: { heartbeatMs?: number; pollMs?: number; staleSeconds?: number };
  /** Run jobs in this process (default true); false for an API-only replica. */
  worker?: boolean;
  /** Where datasets come from (default: the datasets service over HTTP). */
  datasets?: DatasetSource;
}

export type TrainingAppDeps = ServiceAppDeps & TrainingOptions;

export interface Training {
  app: HttpApp;
  jobs: JobsService;
  models: ModelsService;
  runner: JobRunner;
  stores: { jobs: JobStore; models: ModelStore };
}

export const DEFAULT_LIMITS: Limits = { memoryBytes: 2048 * 1024 * 1024, seconds: 3600 };
export const DEFAULT_SUPERVISION: SupervisorOptions = { stallTimeoutMs: 120_000, killGraceMs: 10_000 };

/** The model-training service: fine-tuning jobs run by supervised trainer processes, and the model registry. */
export function createTraining(deps: TrainingAppDeps): Training {
  const { db, log, internalSecret, trainingDir, structuringUrl, worker = true } = deps;
  const threads = deps.threads ?? Math.max(1, Math.min(2, availableParallelism()));
  const supervision = { ...DEFAULT_SUPERVISION, ...deps.supervision };
  const stores = { jobs: createPgJobStore(db), models: createPgModelStore(db) };
  const datasets = deps.datasets ?? createHttpDatasetSource(createServiceClient({ secret: internalSecret, service: 'model-training', baseUrl: structuringUrl }));
  const runner = createJobRunner({
    jobs: stores.jobs,
    models: stores.models,
    datasets,
    trainer: deps.trainer ?? builtInTrainerCommand(),
    supervision,
    baseLearningRate: BASE_LEARNING_RATE,
    threads,
    log: log.child({ component: 'training-runner' }),
    ...deps.runner,
  });
  const jobs = createJobsService({
    jobs: stores.jobs,
    datasets,
    runner,
    workRoot: path.resolve(trainingDir),
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    calibration: deps.calibration ?? DEFAULT_CALIBRATION,
    threads,
    log,
  });
  const models = createModelsService({ models: stores.models });
  const app = createServiceApp(deps, {
    service: 'model-training',
    area: 'training',
    migrations: trainingMigrations,
    routes: [...trainingRoutes(jobs, models), ...fineTuningRoutes(jobs)],
    afterRoutes: (a) => mountOpenAiErrors(a, FINE_TUNING_PREFIX, log),
  });
  if (worker) runner.start();
  app.locals.close = () => runner.stop();
  return { app, jobs, models, runner, stores };
}

export function createTrainingApp(deps: TrainingAppDeps): HttpApp {
  return createTraining(deps).app;
}
