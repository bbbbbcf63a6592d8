import type { Readable } from 'node:stream';
import type { DocumentMetadata } from '@llmp/contracts';

export interface UploadLimits {
  /** Largest file accepted, in bytes (default 50 MB). */
  maxFileBytes: number;
  /** Files per request (default 20). */
  maxFiles: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxFileBytes: 50 * 1024 * 1024, maxFiles: 20 };

/** One file as it arrives, however it was sent: read once, as a stream, never held in memory. */
export interface UploadedFile {
  /** The name the client gave it, as sent. */
  filename: string;
  /** The client's Content-Type for the file, if any. */
  declaredType?: string | null;
  content: Readable;
  metadata?: DocumentMetadata;
  /** Fires when the client goes away before the file is complete. */
  signal?: AbortSignal;
}

export function mib(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}
