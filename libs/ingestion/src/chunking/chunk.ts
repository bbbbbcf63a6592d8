/** A piece of a document sized for embedding, with what a citation needs. */
export interface Chunk {
  ordinal: number;
  /** Exactly `documentText.slice(start, end)`. */
  text: string;
  start: number;
  end: number;
  headingPath: string[];
  pageStart: number | null;
  pageEnd: number | null;
  tokenCount: number;
}

export interface StoredChunk extends Chunk {
  id: string;
  documentId: string;
  knowledgeBaseId: string;
}
