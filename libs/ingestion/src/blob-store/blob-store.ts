import type { Readable } from 'node:stream';

/** Reads parts of a stored file without loading all of it. */
export interface RandomAccess {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
}

/** An upload written to the store's staging area, not yet under its key. */
export interface StagedBlob extends RandomAccess {
  readonly id: string;
  readonly sha256: string;
}

export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than the limit of ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}

export interface StageOptions {
  maxBytes: number;
  signal?: AbortSignal;
}

/** Raw uploaded files: a directory by default, a volume in staging. */
export interface BlobStore {
  /**
   * Streams `source` to the staging area, hashing it on the way; never holds
   * the file in memory. Rejects with `BlobTooLargeError` past `maxBytes`,
   * and leaves nothing behind when it rejects; the source is drained either way.
   */
  stage(source: Readable, options: StageOptions): Promise<StagedBlob>;
  /** Moves a staged file under `key` (`kb_…/doc_…`). */
  commit(staged: StagedBlob, key: string): Promise<void>;
  discard(staged: StagedBlob): Promise<void>;
  read(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  /** Removes one blob; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every blob under a prefix (a knowledge base). */
  deletePrefix(prefix: string): Promise<void>;
  health(): Promise<void>;
}
