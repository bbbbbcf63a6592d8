import type { Db } from '@llmp/db';

export interface VectorRecord {
  /** The chunk id. */
  id: string;
  documentId: string;
  vector: number[];
}

export interface VectorMatch {
  id: string;
  documentId: string;
  /** Cosine similarity, 1 for the same direction. */
  score: number;
}

export interface VectorSearchOptions {
  topK: number;
  /** Only these documents. */
  documentIds?: string[];
  /** Scan every vector instead of the approximate index: the ground truth for recall. */
  exact?: boolean;
}

/** One part of a collection: vectors are written to the growing one, the others are indexed. */
export interface SegmentInfo {
  segment: number;
  state: 'growing' | 'sealing' | 'indexed';
  /** 0 when sealed from writes, one more for each merge. */
  level: number;
  /** Rows when it was sealed or merged. */
  rows: number;
}

/** What one `compact` did: segments sealed, indexes built, and merges made. */
export interface CompactionReport {
  sealed: number[];
  indexed: number[];
  merged: Array<{ from: number[]; into: number }>;
}

/** Nearest-neighbour search over collections of fixed-dimension vectors (one per knowledge base and embedder). */
export interface VectorStore {
  readonly kind: 'pgvector' | 'milvus';
  /** Creates the collection and its index; a no-op when it exists with this dimension. */
  ensureCollection(name: string, options: { dimension: number }): Promise<void>;
  dropCollection(name: string): Promise<void>;
  upsert(name: string, records: VectorRecord[]): Promise<void>;
  deleteDocuments(name: string, documentIds: string[]): Promise<void>;
  search(name: string, vector: number[], options: VectorSearchOptions): Promise<VectorMatch[]>;
  count(name: string): Promise<number>;
  health(): Promise<void>;
  /**
   * Indexes what was written since the last call, in bulk, where the store
   * defers that (pgvector): call it after a write has committed. Stores
   * that index on their own (Milvus) do not have it.
   */
  compact?(name: string): Promise<CompactionReport>;
  segments?(name: string): Promise<SegmentInfo[]>;
  /**
   * A view whose writes belong to `tx`, for stores inside the same database:
   * a document's chunks and vectors then commit together. Stores elsewhere
   * (Milvus) do not have it; their partial writes are cleared on retry.
   */
  inTransaction?(tx: Db): VectorStore;
  close(): Promise<void>;
}

/** The store cannot work here at all (extension missing, server unreachable). */
export class VectorStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VectorStoreUnavailableError';
  }
}

const COLLECTION = /^[a-z][a-z0-9_]{0,62}$/;

/** A search's query vector and topK as every store takes them: finite numbers, and a positive whole count. */
export function checkSearch(vector: number[], topK: number): void {
  if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`topK must be a positive integer, got ${topK}`);
  for (const value of vector) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`a query vector holds only finite numbers, not ${String(value)}`);
  }
}

export function checkCollectionName(name: string): string {
  if (!COLLECTION.test(name)) throw new Error(`invalid collection name "${name}": lower-case letters, digits and "_", starting with a letter`);
  return name;
}
