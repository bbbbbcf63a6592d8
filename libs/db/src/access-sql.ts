import { SYSTEM, seesEverything, type Caller } from '@llmp/contracts';

/**
 * How a resource table and its members table are named in a query. Both
 * are constants from the repository, never input: they are spliced into SQL.
 */
export interface AccessTables {
  /** Alias of the resource table; it has `id`, `owner_id` and `visibility` columns. */
  alias: string;
  /** The members table, with `user_id` and `role` columns. */
  members: string;
  /** The members table's column naming the resource. */
  resourceColumn: string;
}

/**
 * A `where` condition that keeps the rows `caller` may read, so that lists
 * filter in the database instead of fetching everything and dropping rows.
 * Appends the caller's user id to `params` when it needs it.
 */
export function readableBy(caller: Caller, { alias, members, resourceColumn }: AccessTables, params: unknown[]): string {
  if (seesEverything(caller)) return 'true';
  params.push(caller === SYSTEM ? null : caller.userId);
  const me = `$${params.length}`;
  return `(${alias}.visibility = 'organisation' or ${alias}.owner_id = ${me} or exists (select 1 from ${members} access_m where access_m.${resourceColumn} = ${alias}.id and access_m.user_id = ${me}))`;
}
