import { accessLevel, satisfiesAccess, type AccessLevel, type Caller, type ResourceAccess } from '@llmp/contracts';
import { ForbiddenError } from './errors';

export interface RequireAccessOptions {
  /** The 404 to throw when the caller may not see the resource: it must look as if it did not exist. */
  notFound: () => Error;
  /** What the caller tried, for the 403: "upload to knowledge base kb_…". */
  action: string;
}

/**
 * 404 for what the caller cannot see, 403 for what they see but may not
 * change; returns the level they have.
 */
export function requireAccess(caller: Caller, resource: ResourceAccess, needed: Exclude<AccessLevel, 'none'>, { notFound, action }: RequireAccessOptions): AccessLevel {
  const level = accessLevel(caller, resource);
  if (level === 'none') throw notFound();
  if (!satisfiesAccess(level, needed)) {
    const who = needed === 'write' ? 'its owner, an editor or a manager' : 'its owner or a manager';
    throw new ForbiddenError({ code: 'access_denied', message: `only ${who} may ${action}; you may ${level === 'write' ? 'edit its contents' : 'only read it'}` });
  }
  return level;
}
