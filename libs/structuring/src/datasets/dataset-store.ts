import type { Caller, Member, MemberRole } from '@llmp/contracts';
import { readableBy, type Db } from '@llmp/db';
import type { Dataset, DraftRecipe, NewDataset } from './dataset';

export interface DatasetStore {
  insert(dataset: NewDataset): Promise<Dataset>;
  get(id: string): Promise<Dataset | null>;
  /** The datasets `caller` may read, newest first. */
  list(caller: Caller): Promise<Dataset[]>;
  memberRole(id: string, userId: string): Promise<MemberRole | null>;
  listMembers(id: string): Promise<Member[]>;
  /** Adds the member, or changes their role. */
  setMember(id: string, userId: string, role: MemberRole, addedBy: string | null): Promise<Member>;
  /** False when they were not a member. */
  removeMember(id: string, userId: string): Promise<boolean>;
  /** Adds to the draft recipe in one statement, so that concurrent uploads and builds each keep their entry. */
  appendToRecipe(id: string, add: { sources?: DraftRecipe['sources']; steps?: DraftRecipe['steps'] }): Promise<void>;
  /** Deletes the dataset unless a version of it is held; says which happened. */
  deleteUnlessHeld(id: string): Promise<'deleted' | 'held' | 'missing'>;
}

interface DatasetRow {
  id: string;
  name: string;
  description: string;
  owner_id: string | null;
  visibility: Dataset['visibility'];
  recipe: DraftRecipe;
  created_at: Date | string;
  updated_at: Date | string;
  total: number | null;
  pending: number | null;
  accepted: number | null;
  rejected: number | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toDataset(row: DatasetRow): Dataset {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ownerId: row.owner_id,
    visibility: row.visibility,
    recipe: row.recipe,
    records: { total: row.total ?? 0, pending: row.pending ?? 0, accepted: row.accepted ?? 0, rejected: row.rejected ?? 0 },
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

const SELECT = `
  select ds.*, c.total, c.pending, c.accepted, c.rejected
    from structuring.datasets ds
    left join lateral (
      select count(*)::int as total,
             count(*) filter (where r.status = 'pending')::int as pending,
             count(*) filter (where r.status = 'accepted')::int as accepted,
             count(*) filter (where r.status = 'rejected')::int as rejected
        from structuring.records r
       where r.dataset_id = ds.id
    ) c on true`;

interface MemberRow {
  user_id: string;
  role: MemberRole;
  added_by: string | null;
  added_at: Date | string;
}

const toMember = (row: MemberRow): Member => ({ userId: row.user_id, role: row.role, addedBy: row.added_by, addedAt: iso(row.added_at) });

const ACCESS_TABLES = { alias: 'ds', members: 'structuring.dataset_members', resourceColumn: 'dataset_id' };

export function createPgDatasetStore(db: Db): DatasetStore {
  const get = async (id: string) => {
    const { rows } = await db.query<DatasetRow>(`${SELECT} where ds.id = $1`, [id]);
    return rows[0] ? toDataset(rows[0]) : null;
  };
  return {
    async insert({ id, name, description, ownerId, visibility }) {
      await db.query('insert into structuring.datasets (id, name, description, owner_id, visibility) values ($1, $2, $3, $4, $5)', [id, name, description, ownerId, visibility]);
      return (await get(id))!;
    },
    get,
    async list(caller) {
      const params: unknown[] = [];
      const where = readableBy(caller, ACCESS_TABLES, params);
      const { rows } = await db.query<DatasetRow>(`${SELECT} where ${where} order by ds.id desc`, params);
      return rows.map(toDataset);
    },
    async memberRole(id, userId) {
      const { rows } = await db.query<{ role: MemberRole }>('select role from structuring.dataset_members where dataset_id = $1 and user_id = $2', [id, userId]);
      return rows[0]?.role ?? null;
    },
    async listMembers(id) {
      const { rows } = await db.query<MemberRow>('select user_id, role, added_by, added_at from structuring.dataset_members where dataset_id = $1 order by added_at, user_id', [id]);
      return rows.map(toMember);
    },
    async setMember(id, userId, role, addedBy) {
      const { rows } = await db.query<MemberRow>(
        `insert into structuring.dataset_members (dataset_id, user_id, role, added_by) values ($1, $2, $3, $4)
         on conflict (dataset_id, user_id) do update set role = excluded.role
         returning user_id, role, added_by, added_at`,
        [id, userId, role, addedBy],
      );
      return toMember(rows[0]);
    },
    async removeMember(id, userId) {
      const { rowCount } = await db.query('delete from structuring.dataset_members where dataset_id = $1 and user_id = $2', [id, userId]);
      return rowCount > 0;
    },
    async appendToRecipe(id, { sources = [], steps = [] }) {
      await db.query(
        `update structuring.datasets
            set recipe = jsonb_build_object('sources', coalesce(recipe->'sources', '[]'::jsonb) || $2::jsonb, 'steps', coalesce(recipe->'steps', '[]'::jsonb) || $3::jsonb),
                updated_at = now()
          where id = $1`,
        [id, JSON.stringify(sources), JSON.stringify(steps)],
      );
    },
    async deleteUnlessHeld(id) {
      const { rows } = await db.query<{ id: string }>(
        `delete from structuring.datasets ds
          where ds.id = $1
            and not exists (select 1 from structuring.holds h join structuring.versions v on v.id = h.version_id where v.dataset_id = ds.id)
          returning ds.id`,
        [id],
      );
      if (rows.length) return 'deleted';
      const { rows: left } = await db.query('select 1 from structuring.datasets where id = $1', [id]);
      return left.length ? 'held' : 'missing';
    },
  };
}
