import type { AgentKey } from '@llmp/contracts';
import type { Db } from '@llmp/db';
import { AGENTS_CHANGED_CHANNEL, type OnServingChange } from '../changes';

export interface NewAgentKey {
  id: string;
  agentId: string;
  name: string;
  prefix: string;
  secretHash: string;
  rpm: number | null;
  tpm: number | null;
  createdBy: string | null;
}

/** Agent keys; only a key's SHA-256 is stored. */
export interface AgentKeyStore {
  insert(key: NewAgentKey): Promise<AgentKey>;
  list(agentId: string): Promise<AgentKey[]>;
  get(agentId: string, keyId: string): Promise<AgentKey | null>;
  revoke(agentId: string, keyId: string): Promise<AgentKey | null>;
  /** The live key with this hash, of an agent that is not archived. */
  findActive(secretHash: string): Promise<AgentKey | null>;
  touch(keyId: string): Promise<void>;
}

interface KeyRow {
  id: string;
  agent_id: string;
  name: string;
  prefix: string;
  rpm: number | null;
  tpm: number | null;
  created_by: string | null;
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function toKey(row: KeyRow): AgentKey {
  return {
    id: row.id,
    agentId: row.agent_id,
    name: row.name,
    prefix: row.prefix,
    rpm: row.rpm,
    tpm: row.tpm,
    createdBy: row.created_by,
    createdAt: iso(row.created_at)!,
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}

const COLUMNS = 'k.id, k.agent_id, k.name, k.prefix, k.rpm, k.tpm, k.created_by, k.created_at, k.last_used_at, k.revoked_at';

export function createPgAgentKeyStore(db: Db, { onServingChange = () => {} }: { onServingChange?: OnServingChange } = {}): AgentKeyStore {
  const get = async (agentId: string, keyId: string) => {
    const { rows } = await db.query<KeyRow>(`select ${COLUMNS} from agents.keys k where k.agent_id = $1 and k.id = $2`, [agentId, keyId]);
    return rows[0] ? toKey(rows[0]) : null;
  };
  return {
    async insert(key) {
      await db.query(
        'insert into agents.keys (id, agent_id, name, prefix, secret_hash, rpm, tpm, created_by) values ($1, $2, $3, $4, $5, $6, $7, $8)',
        [key.id, key.agentId, key.name, key.prefix, key.secretHash, key.rpm, key.tpm, key.createdBy],
      );
      return (await get(key.agentId, key.id))!;
    },
    async list(agentId) {
      const { rows } = await db.query<KeyRow>(`select ${COLUMNS} from agents.keys k where k.agent_id = $1 order by k.id`, [agentId]);
      return rows.map(toKey);
    },
    get,
    async revoke(agentId, keyId) {
      await db.query(
        `with changed as (update agents.keys set revoked_at = coalesce(revoked_at, now()) where agent_id = $1 and id = $2 returning agent_id)
         select pg_notify($3, agent_id) from changed`,
        [agentId, keyId, AGENTS_CHANGED_CHANNEL],
      );
      onServingChange();
      return get(agentId, keyId);
    },
    async findActive(secretHash) {
      const { rows } = await db.query<KeyRow>(
        `select ${COLUMNS} from agents.keys k join agents.agents a on a.id = k.agent_id
          where k.secret_hash = $1 and k.revoked_at is null and a.archived_at is null`,
        [secretHash],
      );
      return rows[0] ? toKey(rows[0]) : null;
    },
    async touch(keyId) {
      await db.query('update agents.keys set last_used_at = now() where id = $1', [keyId]);
    },
  };
}
