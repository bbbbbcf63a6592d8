/** Long generated statements (multi-row inserts) are cut here; their start names the table. */
const MAX_STATEMENT_CHARS = 2000;

/** Fields drivers attach to a failed query that hold the values it was given. */
const VALUE_FIELDS = ['params', 'parameters', 'queryOptions', 'detail', 'where'] as const;

function spellings(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return [String(value)];
  if (value instanceof Date) return [value.toISOString()];
  if (Buffer.isBuffer(value)) return [];
  try {
    return [JSON.stringify(value)];
  } catch {
    return [];
  }
}

/**
 * Makes a failed query's error safe to log: it names the statement
 * (`query`) but none of the values. Postgres puts values in `detail`
 * (`Key (username)=(…) already exists`) and `where`, PGlite adds the
 * parameters themselves, and input errors quote the value in the message
 * (`invalid input syntax for type integer: "…"`). Fields that only
 * describe the failure (`code`, `constraint`, `table`, `column`) stay, so
 * callers can still tell a unique violation from anything else.
 */
export function redactQueryError(error: unknown, sql: string, params: readonly unknown[] = []): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as Record<string, unknown> & { message?: unknown; stack?: unknown };
  for (const field of VALUE_FIELDS) delete e[field];
  e['query'] = sql.length > MAX_STATEMENT_CHARS ? `${sql.slice(0, MAX_STATEMENT_CHARS)}…` : sql;
  const quoted = params.flatMap(spellings).map((v) => `"${v}"`);
  const scrub = (text: string) => quoted.reduce((out, q) => out.split(q).join('"[redacted]"'), text);
  if (quoted.length > 0) {
    if (typeof e.message === 'string') e.message = scrub(e.message);
    if (typeof e.stack === 'string') e.stack = scrub(e.stack);
  }
  return error;
}
