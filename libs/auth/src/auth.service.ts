import type { ApiKey, Identity, Role, User } from '@llmp/contracts';
import { newId, type Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '@llmp/http';
import { createCredentialsRepository } from './credentials.repository';
import { generatePassword, hashPassword, verifyPassword } from './password';
import { generateSecret, hashSecret } from './secrets';
import { createUsersRepository, publicUser } from './users.repository';

export const SESSION_PREFIX = 'llmp_tok';
export const API_KEY_PREFIX = 'llmp_key';

export interface AuthServiceDeps {
  db: Db;
  log: Logger;
  sessionTtlHours?: number;
  /** scrypt cost; lowered only by tests. */
  passwordCost?: { N: number; r: number; p: number };
}

export interface LoginResult {
  token: string;
  tokenType: 'Bearer';
  expiresAt: string;
  user: User;
}

export function createAuthService({ db, log, sessionTtlHours = 12, passwordCost }: AuthServiceDeps) {
  const users = createUsersRepository(db);
  const credentials = createCredentialsRepository(db);
  const hash = (password: string) => hashPassword(password, passwordCost);
  let decoyHash: Promise<string> | undefined;

  async function requireUser(id: string) {
    const user = await users.findById(id);
    if (!user) throw new NotFoundError({ code: 'user_not_found', message: `user ${id} does not exist` });
    return user;
  }

  return {
    async login(username: string, password: string): Promise<LoginResult> {
      const user = await users.findByUsername(username);
      // Hash even for unknown names so response time does not reveal which names exist.
      decoyHash ??= hash(generatePassword());
      const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
      if (!user || !valid || user.disabled) {
        log.warn({ username: username.slice(0, 64) }, 'login refused');
        throw new UnauthorizedError({ code: 'invalid_credentials', message: 'wrong username or password, or the account is disabled' });
      }
      const token = generateSecret(SESSION_PREFIX);
      const expiresAt = new Date(Date.now() + sessionTtlHours * 3600_000);
      await credentials.insertSession({ id: newId('ses'), userId: user.id, tokenHash: hashSecret(token), expiresAt });
      log.info({ userId: user.id }, 'login');
      return { token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString(), user: publicUser(user) };
    },

    async logout(token: string): Promise<void> {
      await credentials.deleteSession(hashSecret(token));
    },

    /** Resolves a bearer secret (session token or API key); null when none was sent. */
    async authenticate(secret: string | undefined): Promise<Identity | null> {
      if (!secret) return null;
      const hashed = hashSecret(secret);
      if (secret.startsWith(`${SESSION_PREFIX}_`)) {
        const owner = await credentials.ownerOfSession(hashed);
        if (owner) return { ...owner, via: 'token' };
        throw new UnauthorizedError({ code: 'invalid_token', message: 'the token is unknown, expired or its user is disabled; log in again' });
      }
      if (secret.startsWith(`${API_KEY_PREFIX}_`)) {
        const owner = await credentials.ownerOfApiKey(hashed);
        if (owner) return { ...owner, via: 'api_key' };
        throw new UnauthorizedError({ code: 'invalid_api_key', message: 'the API key is unknown, revoked, expired or its user is disabled' });
      }
      throw new UnauthorizedError({ code: 'invalid_token', message: `bearer credentials must start with ${SESSION_PREFIX}_ or ${API_KEY_PREFIX}_` });
    },

    async createUser({ username, password, role }: { username: string; password: string; role: Role }): Promise<User> {
      const user = await users.insert({ id: newId('usr'), username, passwordHash: await hash(password), role });
      if (!user) throw new ConflictError({ code: 'username_taken', message: `username "${username}" is already taken` });
      log.info({ userId: user.id, role }, 'user created');
      return publicUser(user);
    },

    async listUsers(): Promise<User[]> {
      return (await users.list()).map(publicUser);
    },

    async getUser(id: string): Promise<User> {
      return publicUser(await requireUser(id));
    },

    async updateUser(actor: Identity, id: string, changes: { role?: Role; disabled?: boolean }): Promise<User> {
      const target = await requireUser(id);
      if (id === actor.userId && changes.disabled) {
        throw new ForbiddenError({ code: 'cannot_disable_self', message: 'an admin cannot disable their own account' });
      }
      const losesAdmin = target.role === 'admin' && !target.disabled && (changes.disabled || (changes.role && changes.role !== 'admin'));
      if (losesAdmin && (await users.countActiveAdmins()) <= 1) {
        throw new ConflictError({ code: 'last_admin', message: 'this is the last active admin; make another admin first' });
      }
      const updated = await users.update(id, changes);
      if (changes.disabled) await credentials.deleteSessionsOf(id);
      log.info({ userId: id, by: actor.userId, changes }, 'user updated');
      return publicUser(updated ?? target);
    },

    async resetPassword(actor: Identity, id: string, password: string): Promise<void> {
      await requireUser(id);
      await users.update(id, { passwordHash: await hash(password) });
      await credentials.deleteSessionsOf(id);
      log.info({ userId: id, by: actor.userId }, 'password reset');
    },

    async createApiKey(userId: string, { name, expiresInDays }: { name: string; expiresInDays?: number }): Promise<{ key: ApiKey; secret: string }> {
      const secret = generateSecret(API_KEY_PREFIX);
      const key = await credentials.insertApiKey({
        id: newId('key'),
        userId,
        name,
        prefix: secret.slice(0, API_KEY_PREFIX.length + 7),
        keyHash: hashSecret(secret),
        expiresAt: expiresInDays ? new Date(Date.now() + expiresInDays * 86400_000) : null,
      });
      return { key, secret };
    },

    listApiKeys: (userId: string) => credentials.listApiKeys(userId),

    async revokeApiKey(userId: string, id: string): Promise<void> {
      if (!(await credentials.revokeApiKey(userId, id))) {
        throw new NotFoundError({ code: 'api_key_not_found', message: `API key ${id} does not exist or is already revoked` });
      }
    },

    /**
     * Creates the first admin when there are no users at all, with the
     * operator's password or a generated one returned once; never a fixed default.
     */
    async bootstrapAdmin(username = 'admin', password = generatePassword()): Promise<{ username: string; password: string } | null> {
      if ((await users.count()) > 0) return null;
      const created = await users.insert({ id: newId('usr'), username, passwordHash: await hash(password), role: 'admin' });
      return created ? { username, password } : null;
    },

  };
}

export type AuthService = ReturnType<typeof createAuthService>;
