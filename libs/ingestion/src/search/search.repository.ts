import type { Db } from '@llmp/db';
import type { SearchFilters } from './search';

export interface HydratedChunk {
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

export const hasFilters = (filters: SearchFilters) =>
  !!(filters.documentIds || filters.types || (filters.metadata && Object.keys(filters.metadata).length));

export function createSearchRepository(db: Db) {
  return {
    /** Ids of the documents the filters allow, per knowledge base; null when there are more than `limit`. */
    async allowedDocuments(knowledgeBaseIds: string[], filters: SearchFilters, limit: number): Promise<Map<string, string[]> | null> {
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

    /** The query's stemmed terms, OR-ed: a chunk need not contain every word of a question. */
    async tsquery(query: string): Promise<string | null> {
      const { rows } = await db.query<{ lexemes: string[] }>(`select tsvector_to_array(to_tsvector('english', $1)) as lexemes`, [query]);
      const lexemes = rows[0]?.lexemes ?? [];
      if (!lexemes.length) return null;
      return lexemes.map((l) => `'${l.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`).join(' | ');
    },

    /** Chunks ranked by `ts_rank` against an OR of the query's terms. */
    async fulltext(tsquery: string, knowledgeBaseIds: string[], filters: SearchFilters, limit: number): Promise<Array<{ id: string; rank: number }>> {
      const params: unknown[] = [tsquery, knowledgeBaseIds, limit];
      const { rows } = await db.query<{ id: string; rank: number }>(
        `select c.id, ts_rank(c.tsv, q.query) as rank
           from ingestion.chunks c
           join ingestion.documents d on d.id = c.document_id,
                to_tsquery('simple', $1) as q(query)
          where c.knowledge_base_id = any($2::text[]) and c.tsv @@ q.query${filterSql(filters, params)}
          order by rank desc, c.id
          limit $3`,
        params,
      );
      return rows.map((r) => ({ id: r.id, rank: Number(r.rank) }));
    },

    /** The chunks that still exist and pass the filters, with their document's title. */
    async hydrate(ids: string[], knowledgeBaseIds: string[], filters: SearchFilters): Promise<Map<string, HydratedChunk>> {
      if (!ids.length) return new Map();
      const params: unknown[] = [ids, knowledgeBaseIds];
      const { rows } = await db.query<HydratedChunk>(
        `select c.id, c.document_id, c.knowledge_base_id, c.text, c.heading_path, c.page_start, c.page_end, c.start_offset, c.end_offset,
                d.title, d.filename
           from ingestion.chunks c
           join ingestion.documents d on d.id = c.document_id
          where c.id = any($1::text[]) and c.knowledge_base_id = any($2::text[])${filterSql(filters, params)}`,
        params,
      );
      return new Map(rows.map((r) => [r.id, r]));
    },
  };
}
