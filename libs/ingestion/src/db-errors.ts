/** SQLSTATE of a row refused by a unique constraint or index, on Postgres and PGlite alike. */
const UNIQUE_VIOLATION = '23505';

/** Stores translate this into the domain's own conflict; nothing above a store looks at SQLSTATEs. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
}
