import { z } from 'zod';
import { roleSchema } from './roles';

export const usernameSchema = z
  .string()
  .trim()
  .min(2, 'must be 2 to 64 characters')
  .max(64, 'must be 2 to 64 characters')
  .regex(/^[a-zA-Z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"');

export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters');

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type User = z.infer<typeof userSchema>;

/**
 * `GET /api/users/lookup?username=…`: any signed-in user finds people to
 * share with by the start of their username; only ids and usernames of
 * enabled users come back, a few at a time.
 */
export const userLookupQuery = z.object({
  username: z.string({ message: 'is required: the first letters of a username' }).trim().min(1, 'is required: the first letters of a username').max(64, 'must be at most 64 characters'),
});
export interface UserLookupEntry {
  id: string;
  username: string;
}
export const USER_LOOKUP_LIMIT = 10;

export const loginBody = z.object({ username: z.string().min(1, 'is required'), password: z.string().min(1, 'is required') });
export const loginResponse = z.object({
  token: z.string(),
  tokenType: z.literal('Bearer'),
  expiresAt: z.string(),
  user: userSchema,
});

export const createUserBody = z.object({ username: usernameSchema, password: passwordSchema, role: roleSchema.default('user') });
export const updateUserBody = z
  .object({ role: roleSchema.optional(), disabled: z.boolean().optional() })
  .refine((v) => v.role !== undefined || v.disabled !== undefined, 'must set "role" or "disabled"');
export const resetPasswordBody = z.object({
  password: passwordSchema,
  /** A reset ends the user's sessions and revokes their API keys, unless this is true. */
  keepApiKeys: z.boolean().default(false),
});

export const createApiKeyBody = z.object({
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type ApiKey = z.infer<typeof apiKeySchema>;
