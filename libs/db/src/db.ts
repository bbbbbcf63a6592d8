export interface NotificationHandlers {
  onNotify(payload: string): void;
  /**
   * The listening connection is gone (database restart, network): messages
   * sent from now on are missed until the caller listens again.
   */
  onLost?(error: Error): void;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/**
 * The one database interface every repository sees. It hides whether the
 * rows come from a real Postgres pool or from the embedded PGlite.
 */
export interface Db {
  readonly kind: 'postgres' | 'pglite';
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /**
   * Runs several parameterless statements separated by semicolons and
   * resolves with the result of the last one.
   */
  exec<R = Record<string, unknown>>(sql: string): Promise<QueryResult<R>>;
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Loads rows given in Postgres' binary COPY format into `table`'s
   * `columns` and resolves with the rows loaded. Offered where parsing
   * values from text costs more than the rest of a write (PGlite, whose
   * parsers run as WebAssembly); absent elsewhere.
   */
  copyBinary?(table: string, columns: string[], data: Uint8Array): Promise<number>;
  /**
   * Runs `work` while holding a cluster-wide lock named `key`, so two
   * processes never run it at once (migrations when services start together).
   */
  withLock<T>(key: string, work: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Receives what `select pg_notify(channel, payload)` sends, from this
   * process and every other one on the same database, over a connection of
   * its own. Notifications sent inside a transaction arrive only if it commits.
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<Subscription>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
