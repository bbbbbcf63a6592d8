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

const NUL = '\u0000';
const NUL_MESSAGE = 'must not contain NUL bytes';
/** Enough to name the offending fields without walking a hostile document for long. */
const MAX_NUL_PROBLEMS = 20;

/**
 * Every string (and object key) in `value` that holds a NUL byte, which
 * Postgres refuses in text and jsonb (`invalid byte sequence 0x00`): found
 * here, it is the caller's 400 naming the field instead of a 500 from the store.
 */
export function nulProblems(value: unknown, where: string): Problem[] {
  const problems: Problem[] = [];
  const visit = (node: unknown, path: PropertyKey[]) => {
    if (problems.length >= MAX_NUL_PROBLEMS) return;
    if (typeof node === 'string') {
      if (node.includes(NUL)) problems.push({ path: describePath(where, path), message: NUL_MESSAGE });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...path, index]));
    } else if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node);
      if (entries.some(([key]) => key.includes(NUL))) problems.push({ path: describePath(where, path), message: `keys ${NUL_MESSAGE}` });
      for (const [key, item] of entries) if (!key.includes(NUL)) visit(item, [...path, key]);
    }
  };
  visit(value, []);
  return problems;
}

function inputError(problems: Problem[]): InputError {
  const message = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new InputError({ code: 'invalid_request', message, details: problems });
}

/** Throws a 400 naming each field of `value` that holds a NUL byte. */
export function refuseNulBytes(value: unknown, where: string): void {
  const problems = nulProblems(value, where);
  if (problems.length) throw inputError(problems);
}

/**
 * Parses `value` with `schema` or throws a 400 whose message names each
 * offending field: `body.messages[0].role: Invalid option: expected one of …`.
 * A NUL byte anywhere in `value` is refused first, whatever the schema says.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  refuseNulBytes(value, where);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems: Problem[] = result.error.issues.map((issue) => ({
    path: describePath(where, issue.path),
    message: issue.message,
  }));
  throw inputError(problems);
}
