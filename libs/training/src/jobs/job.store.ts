import { newId } from '@llmp/core';
import type { Db } from '@llmp/db';
import { FINISHED_STATES, type Checkpoint, type Hyperparameters, type Job, type JobError, type JobEstimate, type JobEvent, type JobState, type Page } from './job';
import type { LlamaConfigShape } from './presets';

export interface NewJob {
  id: string;
  ownerId: string;
  datasetVersionId: string;
  hasValidation: boolean;
  model: string;
  suffix: string | null;
  hyperparameters: Hyperparameters;
  modelConfig: LlamaConfigShape;
  estimate: JobEstimate;
  workDir: string;
  trainer: string;
  maxAttempts: number;
}

export interface NewEvent {
  level?: JobEvent['level'];
  type?: JobEvent['type'];
  message: string;
  data?: Record<string, unknown>;
}

export interface NewCheckpoint {
  step: number;
  trainLoss: number | null;
  validLoss: number | null;
  validPerplexity: number | null;
  artifactPath: string;
}

export interface PageQuery {
  /** The id of the last item of the previous page. */
  after?: string;
  limit: number;
  /** `desc`: newest first, `after` pages towards older items. */
  order?: 'asc' | 'desc';
}

export interface JobProgress {
  step?: number;
  totalSteps?: number;
  trainedTokens?: number;
}

/** Fields a state change may set besides the state. */
export interface JobTransition {
  error?: JobError | null;
  resumeCheckpointId?: string | null;
  fineTunedModelId?: string;
  finished?: boolean;
}

/**
 * Training jobs with their events and checkpoints. State changes are
 * conditional on the current state, so two processes (a runner and a
 * cancel request, or two replicas recovering the same job) never both win.
 */
export interface JobStore {
  insert(job: NewJob): Promise<Job>;
  get(id: string): Promise<Job | null>;
  list(query: PageQuery & { ownerId?: string }): Promise<Page<Job>>;
  /** Moves the job to `to` if it is in one of `from`; null when it was not. */
  transition(id: string, from: readonly JobState[], to: JobState, changes?: JobTransition): Promise<Job | null>;
  /** Takes the oldest queued job for `runnerId`: running, one more attempt, a fresh heartbeat. */
  claimNext(runnerId: string): Promise<Job | null>;
  /** Records that the runner is alive and how far the job is; false when the job is no longer this runner's. */
  heartbeat(id: string, runnerId: string, progress?: JobProgress): Promise<boolean>;
  /** Running jobs whose runner has not beaten for `seconds` (crashed or killed). */
  findStale(seconds: number): Promise<Job[]>;
  requestCancel(id: string): Promise<Job | null>;
  /** Deletes a finished job with its events, checkpoints and model; null when it is not finished (or not there). */
  deleteFinished(id: string): Promise<Job | null>;

  addEvent(jobId: string, event: NewEvent): Promise<JobEvent>;
  listEvents(jobId: string, query: PageQuery): Promise<Page<JobEvent>>;

  addCheckpoint(jobId: string, checkpoint: NewCheckpoint): Promise<Checkpoint>;
  getCheckpoint(id: string): Promise<Checkpoint | null>;
  listCheckpoints(jobId: string, query: PageQuery): Promise<Page<Checkpoint>>;
  latestCheckpoint(jobId: string): Promise<Checkpoint | null>;
}

interface JobRow {
  id: string;
  owner_id: string;
  dataset_version_id: string;
  validation_split: boolean;
  model: string;
  suffix: string | null;
  hyperparameters: Hyperparameters;
  model_config: LlamaConfigShape;
  estimate: JobEstimate;
  state: JobState;
  error: JobError | null;
  trainer: string;
  work_dir: string;
  attempt: number;
  max_attempts: number;
  resume_checkpoint_id: string | null;
  cancel_requested: boolean;
  step: number;
  total_steps: number | null;
  trained_tokens: string | number;
  fine_tuned_model_id: string | null;
  heartbeat_at: Date | string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

interface EventRow {
  id: string;
  job_id: string;
  level: JobEvent['level'];
  type: JobEvent['type'];
  message: string;
  data: Record<string, unknown> | null;
  created_at: Date | string;
}

interface CheckpointRow {
  id: string;
  job_id: string;
  step: number;
  train_loss: number | null;
  valid_loss: number | null;
  valid_perplexity: number | null;
  artifact_path: string;
  created_at: Date | string;
}

export const iso = (v: Date | string): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());
const isoOrNull = (v: Date | string | null): string | null => (v === null ? null : iso(v));

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    ownerId: r.owner_id,
    datasetVersionId: r.dataset_version_id,
    hasValidation: r.validation_split,
    model: r.model,
    suffix: r.suffix,
    hyperparameters: r.hyperparameters,
    modelConfig: r.model_config,
    estimate: r.estimate,
    state: r.state,
    error: r.error,
    trainer: r.trainer,
    workDir: r.work_dir,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    resumeCheckpointId: r.resume_checkpoint_id,
    cancelRequested: r.cancel_requested,
    step: r.step,
    totalSteps: r.total_steps,
    trainedTokens: Number(r.trained_tokens),
    fineTunedModelId: r.fine_tuned_model_id,
    heartbeatAt: isoOrNull(r.heartbeat_at),
    createdAt: iso(r.created_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
  };
}

const toEvent = (r: EventRow): JobEvent => ({ id: r.id, jobId: r.job_id, level: r.level, type: r.type, message: r.message, data: r.data, createdAt: iso(r.created_at) });

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  id: r.id,
  jobId: r.job_id,
  step: r.step,
  trainLoss: r.train_loss,
  validLoss: r.valid_loss,
  validPerplexity: r.valid_perplexity,
  artifactPath: r.artifact_path,
  createdAt: iso(r.created_at),
});

/** Cursor paging over prefixed, time-sortable ids: one more row than asked tells whether there is another page. */
async function page<R, T>(db: Db, sql: { base: string; params: unknown[] }, { after, limit, order = 'desc' }: PageQuery, map: (r: R) => T): Promise<Page<T>> {
  const params = [...sql.params];
  let where = sql.base;
  if (after) {
    params.push(after);
    where += ` and id ${order === 'desc' ? '<' : '>'} $${params.length}`;
  }
  params.push(limit + 1);
  const { rows } = await db.query<R>(`${where} order by id ${order} limit $${params.length}`, params);
  return { data: rows.slice(0, limit).map(map), hasMore: rows.length > limit };
}

export function createPgJobStore(db: Db): JobStore {
  const one = async (sql: string, params: unknown[]) => {
    const { rows } = await db.query<JobRow>(sql, params);
    return rows[0] ? toJob(rows[0]) : null;
  };
  return {
    async insert(job) {
      const { rows } = await db.query<JobRow>(
        `insert into training.jobs (id, owner_id, dataset_version_id, validation_split, model, suffix, hyperparameters, model_config, estimate, work_dir, trainer, max_attempts)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning *`,
        [job.id, job.ownerId, job.datasetVersionId, job.hasValidation, job.model, job.suffix, JSON.stringify(job.hyperparameters), JSON.stringify(job.modelConfig), JSON.stringify(job.estimate), job.workDir, job.trainer, job.maxAttempts],
      );
      return toJob(rows[0]);
    },

    get: (id) => one('select * from training.jobs where id = $1', [id]),

    list({ ownerId, ...query }) {
      return ownerId
        ? page(db, { base: 'select * from training.jobs where owner_id = $1', params: [ownerId] }, query, toJob)
        : page(db, { base: 'select * from training.jobs where true', params: [] }, query, toJob);
    },

    transition(id, from, to, changes = {}) {
      const sets = ['state = $3'];
      const params: unknown[] = [id, [...from], to];
      const set = (column: string, value: unknown) => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      if (changes.error !== undefined) set('error', changes.error === null ? null : JSON.stringify(changes.error));
      if (changes.resumeCheckpointId !== undefined) set('resume_checkpoint_id', changes.resumeCheckpointId);
      if (changes.fineTunedModelId !== undefined) set('fine_tuned_model_id', changes.fineTunedModelId);
      if (changes.finished) sets.push('finished_at = now()', 'runner_id = null');
      if (to === 'queued') sets.push('runner_id = null');
      return one(`update training.jobs set ${sets.join(', ')} where id = $1 and state = any($2::text[]) returning *`, params);
    },

    async claimNext(runnerId) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>(`select id from training.jobs where state = 'queued' and not cancel_requested order by id limit 1 for update skip locked`);
        if (!rows[0]) return null;
        const claimed = await tx.query<JobRow>(
          `update training.jobs set state = 'running', attempt = attempt + 1, runner_id = $2, heartbeat_at = now(), started_at = coalesce(started_at, now())
           where id = $1 and state = 'queued' returning *`,
          [rows[0].id, runnerId],
        );
        return claimed.rows[0] ? toJob(claimed.rows[0]) : null;
      });
    },

    async heartbeat(id, runnerId, { step, totalSteps, trainedTokens } = {}) {
      const { rowCount } = await db.query(
        `update training.jobs set heartbeat_at = now(), step = coalesce($3, step), total_steps = coalesce($4, total_steps), trained_tokens = coalesce($5, trained_tokens)
         where id = $1 and runner_id = $2 and state = 'running'`,
        [id, runnerId, step ?? null, totalSteps ?? null, trainedTokens ?? null],
      );
      return rowCount > 0;
    },

    async findStale(seconds) {
      const { rows } = await db.query<JobRow>(
        `select * from training.jobs where state = 'running' and (heartbeat_at is null or heartbeat_at < now() - make_interval(secs => $1)) order by id`,
        [seconds],
      );
      return rows.map(toJob);
    },

    requestCancel: (id) => one(`update training.jobs set cancel_requested = true where id = $1 returning *`, [id]),
    // One statement: the model goes with the job (events and checkpoints by cascade), and only if the job has finished.
    deleteFinished: (id) =>
      one(
        `with finished as (select id from training.jobs where id = $1 and state = any($2::text[])),
              models as (delete from training.models where job_id in (select id from finished))
         delete from training.jobs where id in (select id from finished) returning *`,
        [id, FINISHED_STATES],
      ),

    async addEvent(jobId, { level = 'info', type = 'message', message, data }) {
      const { rows } = await db.query<EventRow>(
        `insert into training.events (id, job_id, level, type, message, data) values ($1, $2, $3, $4, $5, $6) returning *`,
        [newId('ftevent'), jobId, level, type, message, data ? JSON.stringify(data) : null],
      );
      return toEvent(rows[0]);
    },

    listEvents: (jobId, query) => page(db, { base: 'select * from training.events where job_id = $1', params: [jobId] }, query, toEvent),

    async addCheckpoint(jobId, c) {
      // A resumed attempt may write the step it resumed from again; the newer files win.
      const { rows } = await db.query<CheckpointRow>(
        `insert into training.checkpoints (id, job_id, step, train_loss, valid_loss, valid_perplexity, artifact_path) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (job_id, step) do update set train_loss = excluded.train_loss, valid_loss = excluded.valid_loss, valid_perplexity = excluded.valid_perplexity, artifact_path = excluded.artifact_path
         returning *`,
        [newId('ckpt'), jobId, c.step, c.trainLoss, c.validLoss, c.validPerplexity, c.artifactPath],
      );
      return toCheckpoint(rows[0]);
    },

    async getCheckpoint(id) {
      const { rows } = await db.query<CheckpointRow>('select * from training.checkpoints where id = $1', [id]);
      return rows[0] ? toCheckpoint(rows[0]) : null;
    },

    listCheckpoints: (jobId, query) => page(db, { base: 'select * from training.checkpoints where job_id = $1', params: [jobId] }, query, toCheckpoint),

    async latestCheckpoint(jobId) {
      const { rows } = await db.query<CheckpointRow>('select * from training.checkpoints where job_id = $1 order by step desc limit 1', [jobId]);
      return rows[0] ? toCheckpoint(rows[0]) : null;
    },
  };
}
