import type { Db } from '@llmp/db';
import {
  checkCollectionName,
  VectorStoreUnavailableError,
  type VectorMatch,
  type VectorRecord,
  type VectorSearchOptions,
  type VectorStore,
} from './vector-store';

export interface PgvectorStoreOptions {
  db: Db;
  /** Schema that holds one table per collection (default `ingestion`). */
  schema?: string;
  /** HNSW build parameters (pgvector defaults: m 16, ef_construction 64). */
  hnsw?: { m?: number; efConstruction?: number };
  /** Candidates the HNSW search keeps; raised to at least topK (default 100). */
  efSearch?: number;
}

const BATCH = 500;

/** Whether this Postgres can load pgvector at all. */
export async function pgvectorAvailable(db: Db): Promise<boolean> {
  const { rows } = await db.query(`select 1 from pg_available_extensions where name = 'vector'`);
  return rows.length > 0;
}

const literal = (vector: number[]) => `[${vector.join(',')}]`;

/**
 * pgvector in the same database as everything else: a table per collection
 * with an HNSW index on cosine distance. Works on Postgres with the
 * extension and on PGlite, which ships it.
 */
export async function createPgvectorStore({ db, schema = 'ingestion', hnsw = {}, efSearch = 100 }: PgvectorStoreOptions): Promise<VectorStore> {
  if (!(await pgvectorAvailable(db))) {
    throw new VectorStoreUnavailableError(
      'pgvector is not installed in this Postgres server (pg_available_extensions has no "vector"); use a server with pgvector ' +
        '(such as the staging image pgvector/pgvector:pg17) or set LLMP_VECTOR_STORE=milvus',
    );
  }
  await db.exec(`create extension if not exists vector; create schema if not exists ${schema};`);
  const { m = 16, efConstruction = 64 } = hnsw;
  const table = (name: string) => `${schema}.vectors_${checkCollectionName(name)}`;

  function bind(conn: Db): VectorStore {
    const store: VectorStore = {
      kind: 'pgvector',

      async ensureCollection(name, { dimension }) {
        const { rows } = await conn.query<{ dimension: number }>(
          `select a.atttypmod as dimension from pg_attribute a
            where a.attrelid = to_regclass($1) and a.attname = 'embedding'`,
          [table(name)],
        );
        if (rows[0]) {
          if (rows[0].dimension !== dimension) {
            throw new Error(`collection "${name}" holds ${rows[0].dimension}-dimensional vectors, not ${dimension}`);
          }
          return;
        }
        await conn.exec(`
          create table if not exists ${table(name)} (
            id text primary key,
            document_id text not null,
            embedding vector(${Number(dimension)}) not null
          );
          create index if not exists vectors_${name}_document_idx on ${table(name)} (document_id);
          create index if not exists vectors_${name}_hnsw_idx on ${table(name)}
            using hnsw (embedding vector_cosine_ops) with (m = ${Number(m)}, ef_construction = ${Number(efConstruction)});
        `);
      },

      async dropCollection(name) {
        await conn.exec(`drop table if exists ${table(name)}`);
      },

      async upsert(name, records: VectorRecord[]) {
        for (let i = 0; i < records.length; i += BATCH) {
          const batch = records.slice(i, i + BATCH);
          await conn.query(
            `insert into ${table(name)} (id, document_id, embedding)
             select r.id, r.document_id, r.embedding::vector from unnest($1::text[], $2::text[], $3::text[]) as r(id, document_id, embedding)
             on conflict (id) do update set document_id = excluded.document_id, embedding = excluded.embedding`,
            [batch.map((r) => r.id), batch.map((r) => r.documentId), batch.map((r) => literal(r.vector))],
          );
        }
      },

      async deleteDocuments(name, documentIds) {
        if (!documentIds.length) return;
        await conn.query(`delete from ${table(name)} where document_id = any($1::text[])`, [documentIds]);
      },

      async search(name, vector, { topK, documentIds, exact = false }: VectorSearchOptions): Promise<VectorMatch[]> {
        const params: unknown[] = [literal(vector), topK];
        let where = '';
        if (documentIds) {
          params.push(documentIds);
          where = 'where document_id = any($3::text[])';
        }
        const sql = `select id, document_id, 1 - (embedding <=> $1::vector) as score from ${table(name)} ${where}
                     order by embedding <=> $1::vector limit $2`;
        // Planner settings must be local to one transaction; a transaction already open is reused.
        const { rows } = await conn.transaction(async (tx) => {
          if (exact) await tx.exec('set local enable_indexscan = off');
          else await tx.exec(`set local hnsw.ef_search = ${Math.max(efSearch, topK)}`);
          return tx.query<{ id: string; document_id: string; score: number }>(sql, params);
        });
        return rows.map((r) => ({ id: r.id, documentId: r.document_id, score: Number(r.score) }));
      },

      async count(name) {
        const { rows } = await conn.query<{ n: number }>(`select count(*)::int as n from ${table(name)}`);
        return rows[0].n;
      },

      async health() {
        await conn.query(`select '[1]'::vector`);
      },

      inTransaction: (tx) => bind(tx),

      async close() {
        // The Db belongs to the caller.
      },
    };
    return store;
  }
  return bind(db);
}
