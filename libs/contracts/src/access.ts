import { z } from 'zod';
import { roleSatisfies, type Identity } from './roles';

/**
 * Who may see and change one resource (a knowledge base today; datasets,
 * training jobs and agents follow the same model): its owner, its
 * visibility, and members with a role. Managers and admins see and change
 * everything.
 */
export const VISIBILITIES = ['private', 'organisation'] as const;
export const visibilitySchema = z.enum(VISIBILITIES);
export type Visibility = z.infer<typeof visibilitySchema>;

/** `viewer` reads a private resource; `editor` also changes its contents. */
export const MEMBER_ROLES = ['viewer', 'editor'] as const;
export const memberRoleSchema = z.enum(MEMBER_ROLES);
export type MemberRole = z.infer<typeof memberRoleSchema>;

/** What the policy needs to know about one resource, as one caller sees it. */
export interface ResourceAccess {
  /** Null for resources the platform itself created (the demo data). */
  ownerId: string | null;
  visibility: Visibility;
  /** The caller's membership, or null when they are not a member. */
  memberRole: MemberRole | null;
}

/**
 * `read`: see it and its contents. `write`: change its contents (upload,
 * cancel, delete documents). `administer`: change its settings, visibility
 * and members, or delete it.
 */
export const ACCESS_LEVELS = ['none', 'read', 'write', 'administer'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** The platform acting for itself (seeding, workers): not bound by any one user's access. */
export const SYSTEM = 'system' as const;
export type Caller = Identity | typeof SYSTEM;

export function accessLevel(caller: Caller, resource: ResourceAccess): AccessLevel {
  if (caller === SYSTEM || roleSatisfies(caller.role, 'manager')) return 'administer';
  if (resource.ownerId !== null && resource.ownerId === caller.userId) return 'administer';
  if (resource.memberRole === 'editor') return 'write';
  if (resource.memberRole === 'viewer' || resource.visibility === 'organisation') return 'read';
  return 'none';
}

export function satisfiesAccess(level: AccessLevel, needed: AccessLevel): boolean {
  return ACCESS_LEVELS.indexOf(level) >= ACCESS_LEVELS.indexOf(needed);
}

export const canRead = (caller: Caller, resource: ResourceAccess): boolean => satisfiesAccess(accessLevel(caller, resource), 'read');
export const canWrite = (caller: Caller, resource: ResourceAccess): boolean => satisfiesAccess(accessLevel(caller, resource), 'write');
export const canAdminister = (caller: Caller, resource: ResourceAccess): boolean => satisfiesAccess(accessLevel(caller, resource), 'administer');

/** Whether the caller sees every resource whatever its owner, visibility and members. */
export function seesEverything(caller: Caller): boolean {
  return caller === SYSTEM || roleSatisfies(caller.role, 'manager');
}

export const userIdSchema = z
  .string()
  .regex(/^usr_[A-Za-z0-9]{1,64}$/, 'must be a user id such as "usr_01j…"');

export const memberSchema = z.object({
  userId: z.string(),
  role: memberRoleSchema,
  addedBy: z.string().nullable(),
  addedAt: z.string(),
});
export type Member = z.infer<typeof memberSchema>;

export const setMemberBody = z.object({ role: memberRoleSchema });
