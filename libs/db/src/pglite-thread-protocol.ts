/** Messages between the serving thread and the thread that owns the embedded database. */
export type DbRequest =
  | { id: number; op: 'query'; tx: number | null; sql: string; params: unknown[] }
  | { id: number; op: 'exec'; tx: number | null; sql: string }
  | { id: number; op: 'copy'; tx: number | null; sql: string; data: Uint8Array }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; channel: string }
  | { id: number; op: 'close' };

export interface QueryRows {
  rows: unknown[];
  rowCount: number;
}

/** A failed statement's error as plain fields, so `code`, `constraint` and the rest survive the copy. */
export type SerializedError = Record<string, unknown> & { message: string };

export type DbResponse =
  | { kind: 'ok'; id: number; result?: QueryRows; tx?: number }
  | { kind: 'error'; id: number; error: SerializedError }
  | { kind: 'notify'; channel: string; payload: string };

export interface ThreadInit {
  dataDir?: string;
}

/** A request before it is numbered. */
export type DbCall = DbRequest extends infer R ? (R extends DbRequest ? Omit<R, 'id'> : never) : never;
