import type { MigrationSet } from '@llmp/db';

/**
 * Vectors are not here: they belong to the vector store (pgvector tables are
 * created by `PgvectorStore`, which needs the `vector` extension that a
 * plain Postgres may lack), so these migrations run on any Postgres.
 */
export const ingestionMigrations: MigrationSet = {
  schema: 'ingestion',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema ingestion is 'llmp document ingestion: knowledge bases, documents, chunks, embeddings';`,
    },
    {
      version: 2,
      name: 'knowledge bases, documents, chunks',
      sql: `
create table ingestion.knowledge_bases (
  id text primary key,
  name text not null,
  description text not null default '',
  chunking jsonb not null,
  embedder jsonb not null,
  vector_collection text not null,
  settings_revision integer not null default 1,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index knowledge_bases_name_key on ingestion.knowledge_bases (lower(name));

create table ingestion.documents (
  id text primary key,
  knowledge_base_id text not null references ingestion.knowledge_bases (id) on delete cascade,
  title text not null,
  filename text not null,
  type text not null,
  media_type text not null,
  declared_type text,
  size_bytes bigint not null,
  content_hash text not null,
  blob_key text not null,
  metadata jsonb not null default '{}',
  status text not null default 'queued'
    check (status in ('queued', 'parsing', 'chunking', 'embedding', 'indexing', 'ready', 'failed', 'cancelled')),
  indexed_revision integer,
  progress real not null default 0,
  stages jsonb not null default '{}',
  error jsonb,
  warnings jsonb not null default '[]',
  page_count integer,
  section_count integer,
  chunk_count integer,
  token_count integer,
  char_count integer,
  job_id text,
  run_id text,
  attempts integer not null default 0,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (knowledge_base_id, content_hash)
);
create index documents_knowledge_base_idx on ingestion.documents (knowledge_base_id, id);
create index documents_unfinished_idx on ingestion.documents (updated_at) where status not in ('ready', 'failed', 'cancelled');

create table ingestion.chunks (
  id text primary key,
  document_id text not null references ingestion.documents (id) on delete cascade,
  knowledge_base_id text not null,
  ordinal integer not null,
  text text not null,
  heading_path jsonb not null default '[]',
  page_start integer,
  page_end integer,
  start_offset integer not null,
  end_offset integer not null,
  token_count integer not null,
  tsv tsvector not null
);
create index chunks_document_idx on ingestion.chunks (document_id, ordinal);
create index chunks_knowledge_base_idx on ingestion.chunks (knowledge_base_id);
create index chunks_tsv_idx on ingestion.chunks using gin (tsv);
`,
    },
    {
      version: 3,
      name: 'knowledge base owners, visibility and members',
      // Existing knowledge bases stay visible to everyone, owned by whoever created them.
      // Names are unique per owner, so a private name never shows through another user's 409.
      sql: `
alter table ingestion.knowledge_bases add column owner_id text;
alter table ingestion.knowledge_bases add column visibility text not null default 'organisation'
  check (visibility in ('private', 'organisation'));
update ingestion.knowledge_bases set owner_id = created_by;
drop index ingestion.knowledge_bases_name_key;
create unique index knowledge_bases_owner_name_key on ingestion.knowledge_bases (coalesce(owner_id, ''), lower(name));
create index knowledge_bases_owner_idx on ingestion.knowledge_bases (owner_id);

create table ingestion.knowledge_base_members (
  knowledge_base_id text not null references ingestion.knowledge_bases (id) on delete cascade,
  user_id text not null,
  role text not null check (role in ('viewer', 'editor')),
  added_by text,
  added_at timestamptz not null default now(),
  primary key (knowledge_base_id, user_id)
);
create index knowledge_base_members_user_idx on ingestion.knowledge_base_members (user_id);
`,
    },
    {
      version: 4,
      name: 'heading and title lexemes',
      // Full-text search weighs query terms found in a chunk's heading and its document's title;
      // analysed once when written instead of for every candidate of every query.
      sql: `
alter table ingestion.chunks add column heading_tsv tsvector
  generated always as (to_tsvector('english', coalesce(heading_path->>-1, ''))) stored;
alter table ingestion.documents add column title_tsv tsvector
  generated always as (to_tsvector('english', title || ' ' || regexp_replace(filename, '[^[:alnum:]]+', ' ', 'g'))) stored;
`,
    },
    {
      version: 5,
      name: 'indexed chunk counts per document',
      // BM25 needs each knowledge base's chunk count and mean chunk length on every search. Kept
      // per document, written with its chunks, they are summed over the documents instead of
      // counted over every chunk; one row per document, so concurrent indexing never waits on another.
      sql: `
alter table ingestion.documents add column indexed_chunks integer not null default 0;
alter table ingestion.documents add column indexed_chunk_tokens bigint not null default 0;
update ingestion.documents d set indexed_chunks = s.chunks, indexed_chunk_tokens = s.tokens
  from (select document_id, count(*)::int as chunks, sum(token_count)::bigint as tokens from ingestion.chunks group by document_id) s
 where s.document_id = d.id;
`,
    },
  ],
};
