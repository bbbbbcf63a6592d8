import type { MigrationSet } from '@llmp/db';

export const trainingMigrations: MigrationSet = {
  schema: 'training',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema training is 'llmp model training: fine-tuning jobs, checkpoints, model registry';`,
    },
    {
      version: 2,
      name: 'jobs, events, checkpoints, models',
      sql: `
create table training.jobs (
  id text primary key,
  owner_id text not null,
  dataset_version_id text not null,
  validation_split boolean not null default false,
  model text not null,
  suffix text,
  hyperparameters jsonb not null,
  model_config jsonb not null,
  estimate jsonb not null,
  state text not null default 'validating_files'
    check (state in ('validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
  error jsonb,
  trainer text not null default 'built-in',
  work_dir text not null,
  attempt integer not null default 0,
  max_attempts integer not null default 3,
  resume_checkpoint_id text,
  cancel_requested boolean not null default false,
  step integer not null default 0,
  total_steps integer,
  trained_tokens bigint not null default 0,
  fine_tuned_model_id text,
  heartbeat_at timestamptz,
  runner_id text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index jobs_owner_idx on training.jobs (owner_id, id desc);
create index jobs_unfinished_idx on training.jobs (state, id) where state in ('queued', 'running');

create table training.events (
  id text primary key,
  job_id text not null references training.jobs (id) on delete cascade,
  level text not null check (level in ('info', 'warn', 'error')),
  type text not null check (type in ('message', 'metrics')),
  message text not null,
  data jsonb,
  created_at timestamptz not null default now()
);
create index events_job_idx on training.events (job_id, id);

create table training.checkpoints (
  id text primary key,
  job_id text not null references training.jobs (id) on delete cascade,
  step integer not null,
  train_loss double precision,
  valid_loss double precision,
  valid_perplexity double precision,
  artifact_path text not null,
  created_at timestamptz not null default now(),
  unique (job_id, step)
);

create table training.models (
  id text primary key,
  owner_id text not null,
  job_id text not null unique references training.jobs (id),
  checkpoint_id text references training.checkpoints (id),
  base_model text not null,
  dataset_version_id text not null,
  hyperparameters jsonb not null,
  model_config jsonb not null,
  metrics jsonb not null,
  format text not null,
  size_bytes bigint not null,
  artifact_path text not null,
  created_at timestamptz not null default now()
);
create index models_owner_idx on training.models (owner_id, id desc);
`,
    },
  ],
};
