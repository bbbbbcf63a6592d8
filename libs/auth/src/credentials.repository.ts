import type { ApiKey, Role } from '@llmp/contracts';
import type { Db } from '@llmp/db';

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

export interface CredentialOwner {
  userId: string;
  username: string;
  role: Role;
}

export interface OwnerLookup extends CredentialOwner {
  /** When the credential itself stops being valid; null for an API key without expiry. */
  expiresAt: Date | null;
}

/** Every gateway replica listens here and forgets what it cached for the user named in the payload. */
export const REVOCATION_CHANNEL = 'llmp_credentials_revoked';

/** Sessions and API keys: both stored only as hashes; disabling a user deletes the one and revokes the other for good. */
export function createCredentialsRepository(db: Db) {
  return {
    async insertSession(s: { id: string; userId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
      await db.query('insert into gateway.sessions (id, user_id, token_hash, expires_at) values ($1, $2, $3, $4)', [
        s.id,
        s.userId,
        s.tokenHash,
        s.expiresAt,
      ]);
    },
    async ownerOfSession(tokenHash: string): Promise<OwnerLookup | null> {
      const { rows } = await db.query<OwnerLookup>(
        `select u.id as "userId", u.username, u.role, s.expires_at as "expiresAt" from gateway.sessions s
           join gateway.users u on u.id = s.user_id
         where s.token_hash = $1 and s.expires_at > now() and not u.disabled`,
        [tokenHash],
      );
      return rows[0] ?? null;
    },
    /** Resolves the session's user, or null when there was no such session. */
    async deleteSession(tokenHash: string): Promise<string | null> {
      const { rows } = await db.query<{ user_id: string }>('delete from gateway.sessions where token_hash = $1 returning user_id', [tokenHash]);
      return rows[0]?.user_id ?? null;
    },
    async deleteSessionsOf(userId: string): Promise<void> {
      await db.query('delete from gateway.sessions where user_id = $1', [userId]);
    },
    async deleteExpiredSessions(): Promise<number> {
      const { rowCount } = await db.query('delete from gateway.sessions where expires_at <= now()');
      return rowCount;
    },
    async insertApiKey(k: { id: string; userId: string; name: string; prefix: string; keyHash: string; expiresAt: Date | null }): Promise<ApiKey> {
      const { rows } = await db.query<ApiKeyRow>(
        `insert into gateway.api_keys (id, user_id, name, prefix, key_hash, expires_at) values ($1, $2, $3, $4, $5, $6)
         returning id, name, prefix, created_at, expires_at, last_used_at`,
        [k.id, k.userId, k.name, k.prefix, k.keyHash, k.expiresAt],
      );
      return toApiKey(rows[0]);
    },
    async ownerOfApiKey(keyHash: string): Promise<OwnerLookup | null> {
      const { rows } = await db.query<OwnerLookup>(
        `update gateway.api_keys k set last_used_at = now()
           from gateway.users u
         where k.key_hash = $1 and u.id = k.user_id and k.revoked_at is null
           and (k.expires_at is null or k.expires_at > now()) and not u.disabled
         returning u.id as "userId", u.username, u.role, k.expires_at as "expiresAt"`,
        [keyHash],
      );
      return rows[0] ?? null;
    },
    async listApiKeys(userId: string): Promise<ApiKey[]> {
      const { rows } = await db.query<ApiKeyRow>(
        `select id, name, prefix, created_at, expires_at, last_used_at from gateway.api_keys
         where user_id = $1 and revoked_at is null order by created_at`,
        [userId],
      );
      return rows.map(toApiKey);
    },
    async revokeApiKeysOf(userId: string): Promise<number> {
      const { rowCount } = await db.query('update gateway.api_keys set revoked_at = now() where user_id = $1 and revoked_at is null', [userId]);
      return rowCount;
    },
    /** Sent inside the revoking transaction, so replicas hear of it exactly when it commits. */
    async announceRevocation(userId: string): Promise<void> {
      await db.query('select pg_notify($1, $2)', [REVOCATION_CHANNEL, userId]);
    },
    async revokeApiKey(userId: string, id: string): Promise<boolean> {
      const { rowCount } = await db.query(
        'update gateway.api_keys set revoked_at = now() where id = $1 and user_id = $2 and revoked_at is null',
        [id, userId],
      );
      return rowCount > 0;
    },
  };
}
