import { z } from 'zod';

export const ROLES = ['user', 'manager', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** admin ⊃ manager ⊃ user: a role satisfies any requirement at or below its rank. */
export function roleSatisfies(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

export interface Identity {
  userId: string;
  username: string;
  role: Role;
  /** How the caller proved who they are. */
  via: 'token' | 'api_key';
}
