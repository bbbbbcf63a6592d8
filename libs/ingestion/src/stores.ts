import type { Db } from '@llmp/db';
import { createSqlChunkStore, type ChunkStore } from './documents/chunk.store';
import { createSqlDocumentStore, type DocumentStore } from './documents/document.store';
import { createSqlKnowledgeBaseStore, type KnowledgeBaseStore } from './knowledge-bases/knowledge-base.store';
import { createSqlSearchStore, type SearchStore } from './search/search.store';
import type { VectorStore } from './vector-store/vector-store';

/** The stores bound to one transaction, and the vectors with them when they live in the same database (pgvector). */
export interface TransactionStores {
  knowledgeBases: KnowledgeBaseStore;
  documents: DocumentStore;
  chunks: ChunkStore;
  vectors: VectorStore;
}

/** Runs `work` in one transaction: it commits when `work` resolves and rolls back when it throws. */
export type InTransaction = <T>(work: (tx: TransactionStores) => Promise<T>) => Promise<T>;

/** Everything document ingestion keeps in its database, one store per aggregate. */
export interface IngestionStores {
  knowledgeBases: KnowledgeBaseStore;
  documents: DocumentStore;
  chunks: ChunkStore;
  search: SearchStore;
  transaction: InTransaction;
}

export function createIngestionStores(db: Db, vectors: VectorStore): IngestionStores {
  return {
    knowledgeBases: createSqlKnowledgeBaseStore(db),
    documents: createSqlDocumentStore(db),
    chunks: createSqlChunkStore(db),
    search: createSqlSearchStore(db),
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          knowledgeBases: createSqlKnowledgeBaseStore(tx),
          documents: createSqlDocumentStore(tx),
          chunks: createSqlChunkStore(tx),
          vectors: vectors.inTransaction?.(tx) ?? vectors,
        }),
      ),
  };
}
