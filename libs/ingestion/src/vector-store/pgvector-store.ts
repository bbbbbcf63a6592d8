import type { Db } from '@llmp/db';
import { binaryVectorArray, binaryVectorRows } from './pgvector-binary';
import {
  checkCollectionName,
  checkSearch,
  VectorStoreUnavailableError,
  type CompactionReport,
  type VectorMatch,
  type VectorRecord,
  type VectorSearchOptions,
  type VectorStore,
} from './vector-store';

export interface PgvectorStoreOptions {
  db: Db;
  /** Schema that holds the collections' tables (default `ingestion`). */
  schema?: string;
  /** HNSW build parameters (pgvector defaults: m 16, ef_construction 64). */
  hnsw?: { m?: number; efConstruction?: number };
  /** Candidates the HNSW search keeps; raised to at least topK (default 100). */
  efSearch?: number;
  /**
   * Rows a collection's newest segment takes before `compact` builds its
   * HNSW index in one go (default 4,096). Until then its rows are found by
   * an exact scan, which is fast at this size.
   */
  segmentRows?: number;
  /** Indexed segments of one level that `compact` merges into one of the next (default 8; fewer where 8 would pass maxSegmentRows). */
  mergeFanIn?: number;
  /**
   * Rows a merge may produce at most: a merge holds back the collection's
   * writes while it runs, and on PGlite every other statement too (default
   * 262,144 on Postgres, 32,768 on PGlite, whose build of that many takes
   * seconds rather than minutes).
   */
  maxSegmentRows?: number;
}

const BATCH = 500;

/** Whether this Postgres can load pgvector at all. */
export async function pgvectorAvailable(db: Db): Promise<boolean> {
  const { rows } = await db.query(`select 1 from pg_available_extensions where name = 'vector'`);
  return rows.length > 0;
}

/** A checked query vector's text form: finite numbers only, so safe to place in SQL as it is. */
const vectorLiteral = (vector: number[]) => `[${vector.join(',')}]`;

/** A string as an SQL literal whatever standard_conforming_strings says: an E'' string with backslashes and quotes doubled. */
function textLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('a literal cannot hold a NUL character');
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

interface Segment {
  segment: number;
  state: 'growing' | 'sealing' | 'indexed';
  level: number;
  rows: number;
}

/**
 * pgvector in the same database as everything else. A collection is a
 * table partitioned into segments, as Milvus and Qdrant keep theirs: new
 * vectors go to the one growing segment, which has no HNSW index and is
 * searched by an exact scan; once it holds `segmentRows` rows, `compact`
 * seals it and builds its index in one pass, several times cheaper per row
 * than HNSW inserts row by row, and merges indexed segments level by level
 * so that a search visits a few of them. A search over the collection is
 * one query: Postgres merges the segments' ordered scans. Works on
 * Postgres with the extension and on PGlite, which ships it.
 */
export async function createPgvectorStore({
  db,
  schema = 'ingestion',
  hnsw = {},
  efSearch = 100,
  segmentRows = 4096,
  mergeFanIn = 8,
  maxSegmentRows = db.kind === 'pglite' ? 32_768 : 262_144,
}: PgvectorStoreOptions): Promise<VectorStore> {
  if (!(await pgvectorAvailable(db))) {
    throw new VectorStoreUnavailableError(
      'pgvector is not installed in this Postgres server (pg_available_extensions has no "vector"); use a server with pgvector ' +
        '(such as the staging image pgvector/pgvector:pg17) or set LLMP_VECTOR_STORE=milvus',
    );
  }
  if (!Number.isInteger(segmentRows) || segmentRows < 1) throw new RangeError(`segmentRows must be a positive integer, got ${segmentRows}`);
  if (!Number.isInteger(mergeFanIn) || mergeFanIn < 2) throw new RangeError(`mergeFanIn must be an integer of at least 2, got ${mergeFanIn}`);
  await db.exec(`
    create extension if not exists vector;
    create schema if not exists ${schema};
    create sequence if not exists ${schema}.vector_segment_seq;
    create table if not exists ${schema}.vector_segments (
      collection text not null,
      segment int not null,
      state text not null check (state in ('growing', 'sealing', 'indexed')),
      level int not null default 0,
      rows int not null default 0,
      primary key (collection, segment)
    );
    create unique index if not exists vector_segments_growing_idx on ${schema}.vector_segments (collection) where state = 'growing';
  `);
  const { m = 16, efConstruction = 64 } = hnsw;
  // The extension's type has no fixed oid: a binary vector[] parameter must name this database's.
  const { rows: types } = await db.query<{ oid: number }>(`select 'vector'::regtype::oid::int as oid`);
  const vectorOid = types[0].oid;
  const table = (name: string) => `${schema}.vectors_${checkCollectionName(name)}`;
  // Segment numbers come from one sequence, so a partition's name is short and unique whatever the collection's.
  const partition = (segment: number) => `vectors_segment_${Number(segment)}`;

  async function segments(conn: Db, name: string): Promise<Segment[]> {
    const { rows } = await conn.query<Segment>(
      `select segment, state, level, rows from ${schema}.vector_segments where collection = $1 order by segment`,
      [name],
    );
    return rows;
  }

  /** A new empty growing segment of `name`. */
  async function addGrowing(conn: Db, name: string): Promise<number> {
    const { rows } = await conn.query<{ segment: number }>(`select nextval('${schema}.vector_segment_seq')::int as segment`);
    const segment = rows[0].segment;
    await conn.exec(`create table ${schema}.${partition(segment)} partition of ${table(name)} for values in (${segment})`);
    await conn.query(`insert into ${schema}.vector_segments (collection, segment, state) values ($1, $2, 'growing')`, [name, segment]);
    return segment;
  }

  /** Sized for the graph of `rows` vectors, so the build stays in memory. */
  const buildMemory = (rows: number, dimension: number) => `${Math.min(1024, Math.max(64, Math.ceil((rows * (dimension * 4 + 400) * 1.5) / 2 ** 20)))}MB`;

  async function dimensionOf(conn: Db, name: string): Promise<number> {
    const { rows } = await conn.query<{ dimension: number }>(
      `select a.atttypmod as dimension from pg_attribute a where a.attrelid = to_regclass($1) and a.attname = 'embedding'`,
      [table(name)],
    );
    return rows[0]?.dimension ?? 0;
  }

  async function buildIndex(conn: Db, segment: number, rows: number, dimension: number) {
    await conn.exec(`set local maintenance_work_mem = '${buildMemory(rows, dimension)}'`);
    await conn.exec(
      `create index if not exists ${partition(segment)}_hnsw on ${schema}.${partition(segment)}
         using hnsw (embedding vector_cosine_ops) with (m = ${Number(m)}, ef_construction = ${Number(efConstruction)})`,
    );
  }

  /** A collection written before segments: its table becomes the first, indexed, segment. */
  async function adoptUnsegmented(conn: Db, name: string, dimension: number) {
    const { rows } = await conn.query<{ segment: number }>(`select nextval('${schema}.vector_segment_seq')::int as segment`);
    const segment = rows[0].segment;
    const { rows: counted } = await conn.query<{ n: number }>(`select count(*)::int as n from ${table(name)}`);
    await conn.exec(`
      alter table ${table(name)} rename to ${partition(segment)};
      alter table ${schema}.${partition(segment)} add column segment int not null default ${segment};
      alter table ${schema}.${partition(segment)} add constraint ${partition(segment)}_in check (segment = ${segment});
    `);
    await createParent(conn, name, dimension);
    await conn.exec(`alter table ${table(name)} attach partition ${schema}.${partition(segment)} for values in (${segment})`);
    await conn.query(`insert into ${schema}.vector_segments (collection, segment, state, level, rows) values ($1, $2, 'indexed', 0, $3)`, [
      name,
      segment,
      counted[0].n,
    ]);
    await addGrowing(conn, name);
  }

  async function createParent(conn: Db, name: string, dimension: number) {
    await conn.exec(`
      create table ${table(name)} (
        id text not null,
        document_id text not null,
        embedding vector(${Number(dimension)}) not null,
        segment int not null
      ) partition by list (segment);
      create index on ${table(name)} (id);
      create index on ${table(name)} (document_id);
    `);
  }

  function bind(conn: Db): VectorStore {
    async function growing(name: string): Promise<number> {
      const { rows } = await conn.query<{ segment: number }>(
        `select segment from ${schema}.vector_segments where collection = $1 and state = 'growing'`,
        [name],
      );
      if (!rows[0]) throw new Error(`collection "${name}" does not exist; ensureCollection creates it`);
      return rows[0].segment;
    }

    const store: VectorStore = {
      kind: 'pgvector',

      async ensureCollection(name, { dimension }) {
        const existing = await dimensionOf(conn, name);
        if (existing) {
          if (existing !== dimension) throw new Error(`collection "${name}" holds ${existing}-dimensional vectors, not ${dimension}`);
          const { rows } = await conn.query<{ kind: string }>(`select relkind as kind from pg_class where oid = to_regclass($1)`, [table(name)]);
          if (rows[0]?.kind === 'p') return;
        }
        await conn.transaction(async (tx) => {
          await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`llmp.vectors.${schema}.${name}`]);
          const again = await dimensionOf(tx, name);
          const { rows } = await tx.query<{ kind: string }>(`select relkind as kind from pg_class where oid = to_regclass($1)`, [table(name)]);
          if (rows[0]?.kind === 'p') return;
          if (again) return adoptUnsegmented(tx, name, again);
          await createParent(tx, name, dimension);
          await addGrowing(tx, name);
        });
      },

      async dropCollection(name) {
        await conn.transaction(async (tx) => {
          await tx.exec(`drop table if exists ${table(name)}`);
          await tx.query(`delete from ${schema}.vector_segments where collection = $1`, [name]);
        });
      },

      async upsert(name, records: VectorRecord[]) {
        if (!records.length) return;
        const segment = await growing(name);
        for (let i = 0; i < records.length; i += BATCH) {
          const batch = records.slice(i, i + BATCH);
          const ids = batch.map((r) => r.id);
          await conn.query(`delete from ${table(name)} where id = any($1::text[])`, [ids]);
          if (conn.copyBinary) {
            // PGlite parses a vector's text slowly (WebAssembly strtof): its binary form is some fifteen times cheaper to load.
            await conn.copyBinary(table(name), ['id', 'document_id', 'embedding', 'segment'], binaryVectorRows(batch, segment));
            continue;
          }
          // Binary, since printing and parsing digits cost more than the rest of the write.
          await conn.query(
            `insert into ${table(name)} (id, document_id, embedding, segment)
             select r.id, r.document_id, r.embedding, $4 from unnest($1::text[], $2::text[], $3::vector[]) as r(id, document_id, embedding)`,
            [ids, batch.map((r) => r.documentId), binaryVectorArray(batch.map((r) => r.vector), vectorOid), segment],
          );
        }
      },

      async deleteDocuments(name, documentIds) {
        if (!documentIds.length) return;
        await conn.query(`delete from ${table(name)} where document_id = any($1::text[])`, [documentIds]);
      },

      async search(name, vector, { topK, documentIds, exact = false }: VectorSearchOptions): Promise<VectorMatch[]> {
        checkSearch(vector, topK);
        // One simple-protocol message, so the search costs one round trip: its statements form one
        // implicit transaction, to which SET LOCAL confines the planner setting. Nothing in it is
        // text from a request: the vector is finite numbers, the ids are quoted as literals.
        const where = documentIds ? `where document_id = any(array[${documentIds.map(textLiteral).join(',')}]::text[])` : '';
        const setting = exact ? 'set local enable_indexscan = off' : `set local hnsw.ef_search = ${Math.max(efSearch, topK)}`;
        const query = vectorLiteral(vector);
        const { rows } = await conn.exec<{ id: string; document_id: string; score: number }>(
          `${setting};
           select id, document_id, 1 - (embedding <=> '${query}'::vector) as score from ${table(name)} ${where}
            order by embedding <=> '${query}'::vector limit ${topK}`,
        );
        return rows.map((r) => ({ id: r.id, documentId: r.document_id, score: Number(r.score) }));
      },

      async count(name) {
        const { rows } = await conn.query<{ n: number }>(`select count(*)::int as n from ${table(name)}`);
        return rows[0].n;
      },

      async compact(name): Promise<CompactionReport> {
        const report: CompactionReport = { sealed: [], indexed: [], merged: [] };
        const dimension = await dimensionOf(conn, name);
        if (!dimension) return report;
        // Seal: a short transaction switches writers to a new growing segment.
        await conn.transaction(async (tx) => {
          await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`llmp.vectors.${schema}.${name}`]);
          const current = (await segments(tx, name)).find((s) => s.state === 'growing');
          if (!current) return;
          const { rows } = await tx.query<{ n: number }>(`select count(*)::int as n from ${schema}.${partition(current.segment)}`);
          if (rows[0].n < segmentRows) return;
          await tx.query(`update ${schema}.vector_segments set state = 'sealing', rows = $3 where collection = $1 and segment = $2`, [
            name,
            current.segment,
            rows[0].n,
          ]);
          await addGrowing(tx, name);
          report.sealed.push(current.segment);
        });
        // Index every sealed segment: the one just sealed, or one whose build a crash interrupted.
        for (const segment of (await segments(conn, name)).filter((s) => s.state === 'sealing')) {
          await conn.transaction(async (tx) => {
            await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`llmp.vectors.${schema}.${name}`]);
            await buildIndex(tx, segment.segment, segment.rows, dimension);
            await tx.query(`update ${schema}.vector_segments set state = 'indexed' where collection = $1 and segment = $2`, [name, segment.segment]);
          });
          report.indexed.push(segment.segment);
        }
        // Merge: fanIn indexed segments of one level become one of the next, while it stays under maxSegmentRows.
        for (;;) {
          const merged = await conn.transaction(async (tx) => {
            await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`llmp.vectors.${schema}.${name}`]);
            const byLevel = new Map<number, Segment[]>();
            for (const s of await segments(tx, name)) {
              if (s.state === 'indexed') byLevel.set(s.level, [...(byLevel.get(s.level) ?? []), s]);
            }
            // A full level merges its oldest segments, as many of them (at least two) as fit under maxSegmentRows.
            let level: [number, Segment[]] | undefined;
            for (const [number, group] of byLevel) {
              if (group.length < mergeFanIn) continue;
              const fitting: Segment[] = [];
              let rows = 0;
              for (const segment of group.slice(0, mergeFanIn)) {
                if (rows + segment.rows > maxSegmentRows) break;
                fitting.push(segment);
                rows += segment.rows;
              }
              if (fitting.length >= 2) {
                level = [number, fitting];
                break;
              }
            }
            if (!level) return undefined;
            const sources = level[1];
            const numbers = sources.map((s) => s.segment);
            // Writers wait for the merge (deleted rows must not come back in the copy); searches go on until the swap.
            await tx.exec(`lock table ${table(name)} in share row exclusive mode`);
            const { rows } = await tx.query<{ segment: number }>(`select nextval('${schema}.vector_segment_seq')::int as segment`);
            const target = rows[0].segment;
            await tx.exec(`
              create table ${schema}.${partition(target)} (like ${table(name)} including defaults);
              alter table ${schema}.${partition(target)} add constraint ${partition(target)}_in check (segment = ${target});
            `);
            const { rows: copied } = await tx.query<{ n: number }>(
              `with moved as (
                 insert into ${schema}.${partition(target)} (id, document_id, embedding, segment)
                 select id, document_id, embedding, $2 from ${table(name)} where segment = any($1::int[])
                 returning 1)
               select count(*)::int as n from moved`,
              [numbers, target],
            );
            await buildIndex(tx, target, copied[0].n, dimension);
            for (const segment of numbers) await tx.exec(`drop table ${schema}.${partition(segment)}`);
            await tx.exec(`alter table ${table(name)} attach partition ${schema}.${partition(target)} for values in (${target})`);
            await tx.query(`delete from ${schema}.vector_segments where collection = $1 and segment = any($2::int[])`, [name, numbers]);
            await tx.query(`insert into ${schema}.vector_segments (collection, segment, state, level, rows) values ($1, $2, 'indexed', $3, $4)`, [
              name,
              target,
              level[0] + 1,
              copied[0].n,
            ]);
            return { from: numbers, into: target };
          });
          if (!merged) break;
          report.merged.push(merged);
        }
        return report;
      },

      async segments(name) {
        return (await segments(conn, name)).map(({ segment, state, level, rows }) => ({ segment, state, level, rows }));
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
