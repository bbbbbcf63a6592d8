import { USER_LOOKUP_LIMIT, type ApiKey, type Identity, type Role, type User, type UserLookupEntry } from '@llmp/contracts';
import { newId, type Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '@llmp/http';
import { createCredentialCache, type CredentialCacheOptions } from './credential-cache';
import { createCredentialsRepository, type OwnerLookup } from './credentials.repository';
import { createHashPool, type HashPoolOptions } from './hash-pool';
import { createLoginThrottle, type LoginThrottleOptions } from './login-throttle';
import { generatePassword, hashPassword, verifyPassword } from './password';
import { createRevocationListener, type RevocationListenerOptions } from './revocation-listener';
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
  /** How many password hashes run at once and how many may wait. */
  passwordHashing?: HashPoolOptions;
  loginThrottle?: LoginThrottleOptions;
  /** Sessions and API keys just checked are trusted this long; only after `listenForRevocations`. */
  credentialCache?: CredentialCacheOptions;
  revocationListener?: RevocationListenerOptions;
}

export interface LoginResult {
  token: string;
  tokenType: 'Bearer';
  expiresAt: string;
  user: User;
}

export function createAuthService({
  db,
  log,
  sessionTtlHours = 12,
  passwordCost,
  passwordHashing,
  loginThrottle,
  credentialCache,
  revocationListener,
}: AuthServiceDeps) {
  const users = createUsersRepository(db);
  const credentials = createCredentialsRepository(db);
  const cache = createCredentialCache(credentialCache);
  const revocations = createRevocationListener({ db, cache, log }, revocationListener);
  const hashing = createHashPool(passwordHashing);
  const throttle = createLoginThrottle(loginThrottle);
  const hash = (password: string) => hashing.run(() => hashPassword(password, passwordCost));
  const verify = (password: string, stored: string) => hashing.run(() => verifyPassword(password, stored));
  let decoyHash: Promise<string> | undefined;
  // This replica's own notification takes a round trip; its cache need not wait for it.
  const forgetLocally = (userId: string | null) => {
    if (userId) cache.forgetUser(userId);
  };

  async function requireUser(id: string) {
    const user = await users.findById(id);
    if (!user) throw new NotFoundError({ code: 'user_not_found', message: `user ${id} does not exist` });
    return user;
  }

  return {
    /** `client` is the caller's address; failures from it and for this username are throttled. */
    async login(username: string, password: string, { client }: { client?: string } = {}): Promise<LoginResult> {
      const attempt = { username, client };
      throttle.check(attempt);
      const user = await users.findByUsername(username);
      // Hash even for unknown names so response time does not reveal which names exist.
      decoyHash ??= hash(generatePassword()).catch((error: unknown) => {
        // A busy pool must not leave a failed decoy behind for every later unknown name.
        decoyHash = undefined;
        throw error;
      });
      const valid = await verify(password, user?.passwordHash ?? (await decoyHash));
      if (!user || !valid || user.disabled) {
        throttle.failed(attempt);
        log.warn({ username: username.slice(0, 64), client }, 'login refused');
        throw new UnauthorizedError({ code: 'invalid_credentials', message: 'wrong username or password, or the account is disabled' });
      }
      throttle.succeeded(attempt);
      const token = generateSecret(SESSION_PREFIX);
      const expiresAt = new Date(Date.now() + sessionTtlHours * 3600_000);
      await credentials.insertSession({ id: newId('ses'), userId: user.id, tokenHash: hashSecret(token), expiresAt });
      log.info({ userId: user.id }, 'login');
      return { token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString(), user: publicUser(user) };
    },

    async logout(token: string): Promise<void> {
      await db.transaction(async (tx) => {
        const txCredentials = createCredentialsRepository(tx);
        const userId = await txCredentials.deleteSession(hashSecret(token));
        if (userId) await txCredentials.announceRevocation(userId);
        return userId;
      }).then(forgetLocally);
    },

    /**
     * Resolves a bearer secret (session token or API key); null when none was
     * sent. A credential checked within the cache's TTL is not looked up
     * again (so an API key's `lastUsedAt` is exact to within that TTL).
     */
    async authenticate(secret: string | undefined): Promise<Identity | null> {
      if (!secret) return null;
      const isSession = secret.startsWith(`${SESSION_PREFIX}_`);
      if (!isSession && !secret.startsWith(`${API_KEY_PREFIX}_`)) {
        throw new UnauthorizedError({ code: 'invalid_token', message: `bearer credentials must start with ${SESSION_PREFIX}_ or ${API_KEY_PREFIX}_` });
      }
      const hashed = hashSecret(secret);
      const cached = cache.get(hashed);
      if (cached) return cached;
      const stamp = cache.stamp();
      const owner: OwnerLookup | null = isSession ? await credentials.ownerOfSession(hashed) : await credentials.ownerOfApiKey(hashed);
      if (!owner) {
        throw isSession
          ? new UnauthorizedError({ code: 'invalid_token', message: 'the token is unknown, expired or its user is disabled; log in again' })
          : new UnauthorizedError({ code: 'invalid_api_key', message: 'the API key is unknown, revoked, expired or its user is disabled' });
      }
      const identity: Identity = { userId: owner.userId, username: owner.username, role: owner.role, via: isSession ? 'token' : 'api_key' };
      cache.set(hashed, identity, { stamp, expiresAt: owner.expiresAt ? new Date(owner.expiresAt) : null });
      return identity;
    },

    /**
     * Starts trusting recently checked credentials for the cache's TTL, and
     * hearing every replica's revocations so that none outlives its commit
     * by more than the notification's trip. Until it is listening, and
     * whenever the connection is lost, every request asks the database.
     */
    listenForRevocations: () => revocations.start(),

    /** Stops listening; the cache is emptied and no longer used. */
    close: () => revocations.stop(),

    async createUser({ username, password, role }: { username: string; password: string; role: Role }): Promise<User> {
      const user = await users.insert({ id: newId('usr'), username, passwordHash: await hash(password), role });
      if (!user) throw new ConflictError({ code: 'username_taken', message: `username "${username}" is already taken` });
      log.info({ userId: user.id, role }, 'user created');
      return publicUser(user);
    },

    async listUsers(): Promise<User[]> {
      return (await users.list()).map(publicUser);
    },

    /** Who a user may pick to share with: ids and usernames only. */
    lookupUsers(usernamePrefix: string): Promise<UserLookupEntry[]> {
      return users.lookup(usernamePrefix, USER_LOOKUP_LIMIT);
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
      const updated = await db.transaction(async (tx) => {
        const row = await createUsersRepository(tx).update(id, changes);
        const txCredentials = createCredentialsRepository(tx);
        if (changes.disabled) {
          // Revoked, not merely suspended: enabling the user again must not revive keys issued before.
          await txCredentials.deleteSessionsOf(id);
          await txCredentials.revokeApiKeysOf(id);
        }
        // A new role or a disabled account must reach every replica's cached identities.
        await txCredentials.announceRevocation(id);
        return row;
      });
      forgetLocally(id);
      log.info({ userId: id, by: actor.userId, changes }, 'user updated');
      return publicUser(updated ?? target);
    },

    /** Ends the user's sessions and revokes their API keys, unless `keepApiKeys` says otherwise. */
    async resetPassword(actor: Identity, id: string, password: string, { keepApiKeys = false }: { keepApiKeys?: boolean } = {}): Promise<void> {
      await requireUser(id);
      const passwordHash = await hash(password);
      const revokedKeys = await db.transaction(async (tx) => {
        const txCredentials = createCredentialsRepository(tx);
        await createUsersRepository(tx).update(id, { passwordHash });
        await txCredentials.deleteSessionsOf(id);
        await txCredentials.announceRevocation(id);
        return keepApiKeys ? 0 : txCredentials.revokeApiKeysOf(id);
      });
      forgetLocally(id);
      log.info({ userId: id, by: actor.userId, revokedKeys }, 'password reset');
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
      const revoked = await db.transaction(async (tx) => {
        const txCredentials = createCredentialsRepository(tx);
        if (!(await txCredentials.revokeApiKey(userId, id))) return false;
        await txCredentials.announceRevocation(userId);
        return true;
      });
      if (revoked) forgetLocally(userId);
      if (!revoked) throw new NotFoundError({ code: 'api_key_not_found', message: `API key ${id} does not exist or is already revoked` });
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
