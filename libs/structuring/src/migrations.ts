import type { MigrationSet } from '@llmp/db';

export const structuringMigrations: MigrationSet = {
  schema: 'structuring',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema structuring is 'llmp data structuring: training datasets and their versions';`,
    },
    {
      version: 2,
      name: 'datasets, records, versions, holds, builds',
      sql: `
create table structuring.datasets (
  id text primary key,
  name text not null,
  description text not null default '',
  owner_id text,
  visibility text not null default 'private' check (visibility in ('private', 'organisation')),
  recipe jsonb not null default '{"sources": [], "steps": []}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table structuring.dataset_members (
  dataset_id text not null references structuring.datasets (id) on delete cascade,
  user_id text not null,
  role text not null check (role in ('viewer', 'editor')),
  added_by text,
  added_at timestamptz not null default now(),
  primary key (dataset_id, user_id)
);

create table structuring.records (
  id text primary key,
  -- Ids made in the same millisecond do not sort in the order they were made: this keeps the order of the file.
  seq bigserial not null,
  dataset_id text not null references structuring.datasets (id) on delete cascade,
  kind text not null check (kind in ('chat', 'text')),
  content jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'accepted', 'rejected')),
  reason text,
  token_count integer not null,
  source jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index records_dataset_idx on structuring.records (dataset_id, seq);
create index records_dataset_status_idx on structuring.records (dataset_id, status, seq);

create table structuring.versions (
  id text primary key,
  dataset_id text not null references structuring.datasets (id) on delete cascade,
  number integer not null,
  kind text not null check (kind in ('chat', 'text')),
  split jsonb not null,
  counts jsonb not null,
  recipe jsonb not null,
  stats jsonb not null,
  created_by text,
  created_at timestamptz not null default now(),
  unique (dataset_id, number)
);

-- Frozen copies: editing or deleting a record later never changes a version.
create table structuring.version_records (
  version_id text not null references structuring.versions (id) on delete cascade,
  position integer not null,
  record_id text not null,
  split text not null check (split in ('train', 'validation', 'test')),
  content jsonb not null,
  token_count integer not null,
  primary key (version_id, position)
);
create index version_records_split_idx on structuring.version_records (version_id, split, position);

create table structuring.holds (
  version_id text not null references structuring.versions (id) on delete cascade,
  holder text not null,
  created_at timestamptz not null default now(),
  primary key (version_id, holder)
);

create table structuring.builds (
  id text primary key,
  dataset_id text not null references structuring.datasets (id) on delete cascade,
  params jsonb not null,
  status text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
  progress jsonb not null default '{}',
  error text,
  job_id text,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index builds_dataset_idx on structuring.builds (dataset_id, id);
`,
    },
  ],
};
