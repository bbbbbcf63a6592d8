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
  /** How the caller proved who they are; `service` when a platform service calls another on its own or a user's behalf. */
  via: 'token' | 'api_key' | 'service';
  /** The platform service that made this call (`data-structuring`), when it was not the gateway. */
  service?: string;
}
