import type { MigrationSet } from '@llmp/db';

export const agentsMigrations: MigrationSet = {
  schema: 'agents',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema agents is 'llmp agent deployment: agents, versions, serving';`,
    },
    {
      version: 2,
      name: 'agents, versions, keys, usage',
      sql: `
create table agents.agents (
  id text primary key,
  name text not null,
  description text not null default '',
  owner_id text,
  visibility text not null default 'private' check (visibility in ('private', 'organisation')),
  draft jsonb not null,
  published_version_id text,
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index agents_name_key on agents.agents (lower(name));

create table agents.agent_members (
  agent_id text not null references agents.agents (id) on delete cascade,
  user_id text not null,
  role text not null check (role in ('viewer', 'editor')),
  added_by text,
  added_at timestamptz not null default now(),
  primary key (agent_id, user_id)
);

create table agents.versions (
  id text primary key,
  agent_id text not null references agents.agents (id) on delete cascade,
  number integer not null,
  config jsonb not null,
  created_by text,
  created_at timestamptz not null default now(),
  unique (agent_id, number)
);
alter table agents.agents add constraint agents_published_version_fkey foreign key (published_version_id) references agents.versions (id);

create table agents.keys (
  id text primary key,
  agent_id text not null references agents.agents (id) on delete cascade,
  name text not null,
  prefix text not null,
  secret_hash text not null unique,
  rpm integer,
  tpm integer,
  created_by text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index keys_agent_idx on agents.keys (agent_id);

create table agents.usage (
  id bigint generated always as identity primary key,
  agent_id text not null references agents.agents (id) on delete cascade,
  version_id text not null references agents.versions (id),
  key_id text not null references agents.keys (id),
  stream boolean not null,
  status text not null check (status in ('ok', 'failed', 'cancelled')),
  prompt_tokens integer not null,
  completion_tokens integer not null,
  latency_ms integer not null,
  ttft_ms integer,
  created_at timestamptz not null default now()
);
create index usage_agent_day_idx on agents.usage (agent_id, created_at);
`,
    },
    {
      version: 3,
      name: 'playground usage',
      // The console's playground answers signed-in users without a key; its calls are counted apart.
      sql: `
alter table agents.usage alter column key_id drop not null;
alter table agents.usage add column source text not null default 'api' check (source in ('api', 'playground'));
alter table agents.usage add column user_id text;
alter table agents.usage add constraint usage_key_of_api check ((source = 'api') = (key_id is not null));
`,
    },
  ],
};
