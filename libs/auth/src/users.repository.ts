import type { Role, User } from '@llmp/contracts';
import type { Db } from '@llmp/db';

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface StoredUser extends User {
  passwordHash: string;
}

function toUser(row: UserRow): StoredUser {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    passwordHash: row.password_hash,
  };
}

export function publicUser({ passwordHash: _hidden, ...user }: StoredUser): User {
  return user;
}

const USER_COLUMNS = 'id, username, password_hash, role, disabled, created_at, updated_at';

export function createUsersRepository(db: Db) {
  return {
    async insert(user: { id: string; username: string; passwordHash: string; role: Role }): Promise<StoredUser | null> {
      const { rows } = await db.query<UserRow>(
        `insert into gateway.users (id, username, password_hash, role) values ($1, $2, $3, $4)
         on conflict do nothing returning ${USER_COLUMNS}`,
        [user.id, user.username, user.passwordHash, user.role],
      );
      return rows[0] ? toUser(rows[0]) : null;
    },
    async findById(id: string): Promise<StoredUser | null> {
      const { rows } = await db.query<UserRow>(`select ${USER_COLUMNS} from gateway.users where id = $1`, [id]);
      return rows[0] ? toUser(rows[0]) : null;
    },
    async findByUsername(username: string): Promise<StoredUser | null> {
      const { rows } = await db.query<UserRow>(`select ${USER_COLUMNS} from gateway.users where lower(username) = lower($1)`, [username]);
      return rows[0] ? toUser(rows[0]) : null;
    },
    /** Enabled users whose username starts with `prefix` (any case), shortest first. */
    async lookup(prefix: string, limit: number): Promise<Array<{ id: string; username: string }>> {
      const pattern = `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const { rows } = await db.query<{ id: string; username: string }>(
        `select id, username from gateway.users where not disabled and lower(username) like $1 order by length(username), lower(username) limit $2`,
        [pattern, limit],
      );
      return rows;
    },
    async list(): Promise<StoredUser[]> {
      const { rows } = await db.query<UserRow>(`select ${USER_COLUMNS} from gateway.users order by created_at, id`);
      return rows.map(toUser);
    },
    async count(): Promise<number> {
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from gateway.users');
      return rows[0].n;
    },
    async countActiveAdmins(): Promise<number> {
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from gateway.users where role = 'admin' and not disabled`,
      );
      return rows[0].n;
    },
    async update(id: string, changes: { role?: Role; disabled?: boolean; passwordHash?: string }): Promise<StoredUser | null> {
      const { rows } = await db.query<UserRow>(
        `update gateway.users set
           role = coalesce($2, role),
           disabled = coalesce($3, disabled),
           password_hash = coalesce($4, password_hash),
           updated_at = now()
         where id = $1 returning ${USER_COLUMNS}`,
        [id, changes.role ?? null, changes.disabled ?? null, changes.passwordHash ?? null],
      );
      return rows[0] ? toUser(rows[0]) : null;
    },
  };
}
