import type { MemberRole, Role, Visibility } from '@llmp/contracts';

/**
 * What to offer, mirroring the platform's rules (libs/contracts roles.ts and access.ts). The API
 * decides and refuses; the console only leaves out what would be refused.
 */
export const ROLES: readonly Role[] = ['user', 'manager', 'admin'];
const ROLE_RANK: Record<Role, number> = { user: 0, manager: 1, admin: 2 };

export function hasRole(role: Role, required: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[required];
}

export type AccessLevel = 'none' | 'read' | 'write' | 'administer';
const LEVEL_RANK: Record<AccessLevel, number> = { none: 0, read: 1, write: 2, administer: 3 };

export function accessLevel(
  caller: { id: string; role: Role },
  resource: { ownerId: string | null; visibility: Visibility },
  memberRole: MemberRole | null,
): AccessLevel {
  if (hasRole(caller.role, 'manager')) return 'administer';
  if (resource.ownerId !== null && resource.ownerId === caller.id) return 'administer';
  if (memberRole === 'editor') return 'write';
  if (memberRole === 'viewer' || resource.visibility === 'organisation') return 'read';
  return 'none';
}

export function allows(level: AccessLevel, needed: AccessLevel): boolean {
  return LEVEL_RANK[level] >= LEVEL_RANK[needed];
}
