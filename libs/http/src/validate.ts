import type { z } from 'zod';
import { InputError } from './errors';

export interface Problem {
  path: string;
  message: string;
}

function describePath(where: string, path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    where,
  );
}

/**
 * Parses `value` with `schema` or throws a 400 whose message names each
 * offending field: `body.messages[0].role: Invalid option: expected one of …`.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems: Problem[] = result.error.issues.map((issue) => ({
    path: describePath(where, issue.path),
    message: issue.message,
  }));
  const message = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  throw new InputError({ code: 'invalid_request', message, details: problems });
}
