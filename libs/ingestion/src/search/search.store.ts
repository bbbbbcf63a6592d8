import type { SearchFilters } from '@llmp/contracts';
import type { Db } from '@llmp/db';
import { withIdentifierParts } from './identifiers';
import type { TermMatch, TermStatistics } from './search';

/** A chunk with what its citation needs from its document. */
export interface CitableChunk {
  id: string;
  documentId: string;
  knowledgeBaseId: string;
  text: string;
  headingPath: string[];
  pageStart: number | null;
  pageEnd: number | null;
  /** Character offsets in the document's extracted text. */
  start: number;
  end: number;
  title: string;
  filename: string;
}

interface CitableChunkRow {
  id: string;
  document_id: string;
  knowledge_base_id: string;
  text: string;
  heading_path: string[];
  page_start: number | null;
  page_end: number | null;
  start_offset: number;
  end_offset: number;
  title: string;
  filename: string;
}

/** SQL conditions on `d` (documents) for the filters, appended to `params`. */
function filterSql(filters: SearchFilters, params: unknown[]): string {
  const where: string[] = [];
  if (filters.documentIds) {
    params.push(filters.documentIds);
    where.push(`d.id = any($${params.length}::text[])`);
  }
  if (filters.types) {
    params.push(filters.types);
    where.push(`d.type = any($${params.length}::text[])`);
  }
  if (filters.metadata && Object.keys(filters.metadata).length) {
    params.push(JSON.stringify(filters.metadata));
    where.push(`d.metadata @> $${params.length}::jsonb`);
  }
  return where.length ? ` and ${where.join(' and ')}` : '';
}

/** A lexeme as a tsquery operand: quoted, so punctuation in it is taken literally. */
const quoteLexeme = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

function toCitableChunk(row: CitableChunkRow): CitableChunk {
  return {
    id: row.id,
    documentId: row.document_id,
    knowledgeBaseId: row.knowledge_base_id,
    text: row.text,
    headingPath: row.heading_path ?? [],
    pageStart: row.page_start,
    pageEnd: row.page_end,
    start: row.start_offset,
    end: row.end_offset,
    title: row.title,
    filename: row.filename,
  };
}

/** What search reads: document filters, full-text term statistics and matches, and the chunks behind hits. */
export interface SearchStore {
  /** Ids of the documents the filters allow, per knowledge base; null when there are more than `limit`. */
  allowedDocuments(knowledgeBaseIds: string[], filters: SearchFilters, limit: number): Promise<Map<string, string[]> | null>;
  /** The query's distinct stemmed terms, its identifiers' parts included (English stemming and stop words, as the index uses). */
  queryTerms(query: string): Promise<string[]>;
  /**
   * What BM25 needs from the searched knowledge bases: how many chunks there are, their mean
   * length, and for each term how many chunks contain it. The first two are summed over the
   * documents' counts, written with their chunks; term counts come through the GIN index. Read
   * at query time, so they are the same on Postgres and PGlite and never stale.
   */
  termStatistics(terms: string[], knowledgeBaseIds: string[]): Promise<TermStatistics>;
  /**
   * The chunks containing at least one of the terms (the `candidates` best by `ts_rank`, which is
   * cheap, so that counting term frequencies stays fast on large knowledge bases), with each term's
   * frequency in its text (headings included) and which terms occur in its innermost heading and in
   * its document's title or file name: the fields a BM25F score weighs separately.
   */
  termMatches(terms: string[], knowledgeBaseIds: string[], filters: SearchFilters, candidates: number): Promise<TermMatch[]>;
  /** The chunks that still exist and pass the filters, with their document's title. */
  hydrate(ids: string[], knowledgeBaseIds: string[], filters: SearchFilters): Promise<Map<string, CitableChunk>>;
}

/** Over the `ingestion` schema of Postgres or PGlite, with Postgres full-text search. */
export function createSqlSearchStore(db: Db): SearchStore {
  return {
    async allowedDocuments(knowledgeBaseIds, filters, limit) {
      const params: unknown[] = [knowledgeBaseIds, limit + 1];
      const { rows } = await db.query<{ id: string; knowledge_base_id: string }>(
        `select d.id, d.knowledge_base_id from ingestion.documents d
          where d.knowledge_base_id = any($1::text[])${filterSql(filters, params)} limit $2`,
        params,
      );
      if (rows.length > limit) return null;
      const byKb = new Map<string, string[]>(knowledgeBaseIds.map((id) => [id, []]));
      for (const row of rows) byKb.get(row.knowledge_base_id)!.push(row.id);
      return byKb;
    },

    async queryTerms(query) {
      const { rows } = await db.query<{ lexemes: string[] }>(`select tsvector_to_array(to_tsvector('english', $1)) as lexemes`, [withIdentifierParts(query)]);
      return rows[0]?.lexemes ?? [];
    },

    async termStatistics(terms, knowledgeBaseIds) {
      const operands = terms.map(quoteLexeme);
      // One pass over the chunks holding any of the terms (which the GIN index can find) counts
      // every term, rather than one pass over the knowledge base per term.
      // An array, not a column per term: a long query may have more terms than a row has columns.
      const frequencies = operands.length
        ? `, (select array[${operands.map((_, i) => `count(*) filter (where c.tsv @@ $${i + 3}::tsquery)::int`).join(', ')}] as frequencies
                from ingestion.chunks c where c.knowledge_base_id = any($1::text[]) and c.tsv @@ $2::tsquery) m`
        : '';
      const { rows } = await db.query<{ chunks: number; mean_length: number; frequencies?: number[] }>(
        `select * from (select coalesce(sum(d.indexed_chunks), 0)::int as chunks,
                               coalesce(sum(d.indexed_chunk_tokens)::float8 / nullif(sum(d.indexed_chunks), 0), 0)::float8 as mean_length
                          from ingestion.documents d where d.knowledge_base_id = any($1::text[])) k${frequencies}`,
        operands.length ? [knowledgeBaseIds, operands.join(' | '), ...operands] : [knowledgeBaseIds],
      );
      const row = rows[0];
      return {
        chunks: Number(row?.chunks ?? 0),
        meanLength: Number(row?.mean_length ?? 0),
        documentFrequency: new Map(terms.map((term, i) => [term, Number(row?.frequencies?.[i] ?? 0)])),
      };
    },

    async termMatches(terms, knowledgeBaseIds, filters, candidates) {
      const params: unknown[] = [terms, terms.map(quoteLexeme).join(' | '), knowledgeBaseIds, candidates];
      // Heading and title lexemes are stored with the chunk and the document (migration 4).
      const { rows } = await db.query<{ id: string; length: number; lexemes: string[] | null; counts: number[] | null; heading: string[]; title: string[] }>(
        `with scope as (
           select c.id, c.token_count, c.tsv, c.heading_tsv, d.title_tsv
             from ingestion.chunks c
             join ingestion.documents d on d.id = c.document_id
            where c.knowledge_base_id = any($3::text[]) and c.tsv @@ $2::tsquery${filterSql(filters, params)}
            order by ts_rank(c.tsv, $2::tsquery) desc, c.id
            limit $4
         )
         select s.id, s.token_count as length, t.lexemes, t.counts,
                array(select u.lexeme from unnest(s.heading_tsv) u where u.lexeme = any($1::text[])) as heading,
                array(select u.lexeme from unnest(s.title_tsv) u where u.lexeme = any($1::text[])) as title
           from scope s
           cross join lateral (
             select array_agg(u.lexeme) as lexemes, array_agg(coalesce(array_length(u.positions, 1), 1)) as counts
               from unnest(s.tsv) u
              where u.lexeme = any($1::text[])
           ) t`,
        params,
      );
      return rows.map((r) => ({
        id: r.id,
        length: Number(r.length),
        frequency: new Map((r.lexemes ?? []).map((lexeme, i) => [lexeme, Number(r.counts![i])])),
        inHeading: new Set(r.heading),
        inTitle: new Set(r.title),
      }));
    },

    async hydrate(ids, knowledgeBaseIds, filters) {
      if (!ids.length) return new Map();
      const params: unknown[] = [ids, knowledgeBaseIds];
      const { rows } = await db.query<CitableChunkRow>(
        `select c.id, c.document_id, c.knowledge_base_id, c.text, c.heading_path, c.page_start, c.page_end, c.start_offset, c.end_offset,
                d.title, d.filename
           from ingestion.chunks c
           join ingestion.documents d on d.id = c.document_id
          where c.id = any($1::text[]) and c.knowledge_base_id = any($2::text[])${filterSql(filters, params)}`,
        params,
      );
      return new Map(rows.map((r) => [r.id, toCitableChunk(r)]));
    },
  };
}
