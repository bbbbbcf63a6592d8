import type { Db } from '@llmp/db';
import type { StoredChunk } from '../chunking/chunk';
import { withIdentifierParts } from '../search/identifiers';
import { binaryChunkRows, CHUNK_COPY_COLUMNS } from './chunk-binary';

interface ChunkRow {
  id: string;
  document_id: string;
  knowledge_base_id: string;
  ordinal: number;
  text: string;
  heading_path: string[];
  page_start: number | null;
  page_end: number | null;
  start_offset: number;
  end_offset: number;
  token_count: number;
}

function toChunk(row: ChunkRow): StoredChunk {
  return {
    id: row.id,
    documentId: row.document_id,
    knowledgeBaseId: row.knowledge_base_id,
    ordinal: row.ordinal,
    text: row.text,
    start: row.start_offset,
    end: row.end_offset,
    headingPath: row.heading_path ?? [],
    pageStart: row.page_start,
    pageEnd: row.page_end,
    tokenCount: row.token_count,
  };
}

/** Rows per insert: keeps each statement's parameters to a few megabytes. */
const BATCH = 500;

/** The text full-text search sees: the chunk and the headings above it, with their identifiers' parts. */
export function searchableText(chunk: Pick<StoredChunk, 'text' | 'headingPath'>): string {
  return withIdentifierParts(chunk.headingPath.length ? `${chunk.headingPath.join('\n')}\n${chunk.text}` : chunk.text);
}

/** The chunks of each document, as the pipeline last indexed them. */
export interface ChunkStore {
  /**
   * Swaps a document's chunks for these, and its counts of them; call inside
   * the indexing transaction. `lexemes`, when given, are each chunk's
   * `searchableText` as `to_tsvector('english', …)` makes it (see
   * `createDbLexer`); the database computes those not given.
   */
  replace(documentId: string, chunks: StoredChunk[], lexemes?: (string | undefined)[]): Promise<void>;
  /** In document order. */
  listByDocument(documentId: string, page?: { limit?: number; offset?: number }): Promise<StoredChunk[]>;
  countByDocument(documentId: string): Promise<number>;
}

/** Over the `ingestion` schema of Postgres or PGlite; full-text lexemes are computed as chunks are written. */
export function createSqlChunkStore(db: Db): ChunkStore {
  return {
    async replace(documentId, chunks, lexemes) {
      if (lexemes && lexemes.length !== chunks.length) throw new RangeError(`${lexemes.length} lexeme lists for ${chunks.length} chunks`);
      await db.query('delete from ingestion.chunks where document_id = $1', [documentId]);
      let rest = chunks;
      let restLexemes = lexemes;
      if (db.copyBinary && lexemes) {
        // Chunks with their lexemes are loaded as given; the others go through the insert below.
        const given = chunks.filter((_, i) => lexemes[i] !== undefined);
        const givenLexemes = lexemes.filter((l): l is string => l !== undefined);
        for (let i = 0; i < given.length; i += BATCH) {
          await db.copyBinary('ingestion.chunks', CHUNK_COPY_COLUMNS, binaryChunkRows(given.slice(i, i + BATCH), givenLexemes.slice(i, i + BATCH)));
        }
        rest = chunks.filter((_, i) => lexemes[i] === undefined);
        restLexemes = undefined;
      }
      for (let i = 0; i < rest.length; i += BATCH) {
        const batch = rest.slice(i, i + BATCH);
        const given = restLexemes?.slice(i, i + BATCH);
        // $12 is a chunk's lexemes already computed, or else (null) $13 its searchable text.
        await db.query(
          `insert into ingestion.chunks
             (id, document_id, knowledge_base_id, ordinal, text, heading_path, page_start, page_end, start_offset, end_offset, token_count, tsv)
           select c.id, c.document_id, c.knowledge_base_id, c.ordinal, c.text, c.heading_path::jsonb, c.page_start, c.page_end,
                  c.start_offset, c.end_offset, c.token_count, coalesce(c.lexemes::tsvector, to_tsvector('english', c.full_text))
             from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[], $12::text[], $13::text[])
                  as c(id, document_id, knowledge_base_id, ordinal, text, heading_path, page_start, page_end, start_offset, end_offset, token_count, lexemes, full_text)`,
          [
            batch.map((c) => c.id),
            batch.map((c) => c.documentId),
            batch.map((c) => c.knowledgeBaseId),
            batch.map((c) => c.ordinal),
            batch.map((c) => c.text),
            batch.map((c) => JSON.stringify(c.headingPath)),
            batch.map((c) => c.pageStart),
            batch.map((c) => c.pageEnd),
            batch.map((c) => c.start),
            batch.map((c) => c.end),
            batch.map((c) => c.tokenCount),
            batch.map((_, j) => given?.[j] ?? null),
            batch.map((c, j) => (given?.[j] === undefined ? searchableText(c) : null)),
          ],
        );
      }
      const tokens = chunks.reduce((sum, c) => sum + c.tokenCount, 0);
      await db.query('update ingestion.documents set indexed_chunks = $2, indexed_chunk_tokens = $3 where id = $1', [documentId, chunks.length, tokens]);
    },

    async listByDocument(documentId, { limit = 100, offset = 0 } = {}) {
      const { rows } = await db.query<ChunkRow>(
        'select * from ingestion.chunks where document_id = $1 order by ordinal limit $2 offset $3',
        [documentId, limit, offset],
      );
      return rows.map(toChunk);
    },

    async countByDocument(documentId) {
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from ingestion.chunks where document_id = $1', [documentId]);
      return rows[0].n;
    },
  };
}
