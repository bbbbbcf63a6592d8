import type { MigrationSet } from '@llmp/db';

export const authMigrations: MigrationSet = {
  schema: 'gateway',
  migrations: [
    {
      version: 1,
      name: 'users-sessions-api-keys',
      sql: `
        create table gateway.users (
          id text primary key,
          username text not null,
          password_hash text not null,
          role text not null check (role in ('user', 'manager', 'admin')),
          disabled boolean not null default false,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );
        create unique index users_username_key on gateway.users (lower(username));

        create table gateway.sessions (
          id text primary key,
          user_id text not null references gateway.users(id) on delete cascade,
          token_hash text not null unique,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null
        );
        create index sessions_user_id_idx on gateway.sessions (user_id);

        create table gateway.api_keys (
          id text primary key,
          user_id text not null references gateway.users(id) on delete cascade,
          name text not null,
          prefix text not null,
          key_hash text not null unique,
          created_at timestamptz not null default now(),
          expires_at timestamptz,
          last_used_at timestamptz,
          revoked_at timestamptz
        );
        create index api_keys_user_id_idx on gateway.api_keys (user_id);
      `,
    },
  ],
};
