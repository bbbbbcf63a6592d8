/** Turns texts into vectors of one fixed dimension. */
export interface Embedder {
  /** What a knowledge base pins, e.g. `hashing-ngram-v1` or `openai:nomic-embed-text`. */
  readonly name: string;
  readonly dimension: number;
  /**
   * One vector per text, in order. Honors `signal` between and during requests. `purpose` says
   * whether the texts are search queries or documents (default), for models that embed them differently.
   */
  embed(texts: string[], options?: { signal?: AbortSignal; purpose?: 'query' | 'document' }): Promise<number[][]>;
}

/**
 * A failure to embed. `permanent` ones (a bad request, a model that answers
 * with the wrong dimension) will fail again if retried; the others (server
 * down, timeouts, 429/5xx after our own retries) may not.
 */
export class EmbedderError extends Error {
  readonly permanent: boolean;
  readonly status?: number;

  constructor(message: string, { permanent, status, cause }: { permanent: boolean; status?: number; cause?: unknown }) {
    super(message, { cause });
    this.name = 'EmbedderError';
    this.permanent = permanent;
    this.status = status;
  }
}
