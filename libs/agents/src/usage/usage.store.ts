import type { Caller, UsageSource, UsageSummaryRow } from '@llmp/contracts';
import { readableBy, type Db } from '@llmp/db';

export interface UsageRecord {
  agentId: string;
  versionId: string;
  /** Null for the console's playground, which a signed-in user opens without a key. */
  keyId: string | null;
  source: UsageSource;
  /** Who chatted in the playground; null for calls with a key. */
  userId?: string | null;
  stream: boolean;
  /** `cancelled` when the client went away before the answer was complete. */
  status: 'ok' | 'failed' | 'cancelled';
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  /** Time to the first content token; null when none was produced. */
  timeToFirstTokenMs: number | null;
}

export interface UsageFilter {
  /** Inclusive UTC days, `YYYY-MM-DD`. */
  from?: string;
  to?: string;
  agentId?: string;
}

/** One row per completion call; summaries are computed when asked. */
export interface UsageStore {
  record(usage: UsageRecord): Promise<void>;
  /** Per UTC day, agent and key, over the agents `caller` may read. */
  summary(caller: Caller, filter: UsageFilter): Promise<UsageSummaryRow[]>;
}

interface SummaryRow {
  day: string;
  agent_id: string;
  agent_name: string;
  key_id: string | null;
  key_name: string | null;
  source: UsageSource;
  requests: number;
  failed: number;
  prompt_tokens: number;
  completion_tokens: number;
  mean_latency_ms: number;
  mean_ttft_ms: number | null;
}

export function createPgUsageStore(db: Db): UsageStore {
  return {
    async record(u) {
      await db.query(
        `insert into agents.usage (agent_id, version_id, key_id, source, user_id, stream, status, prompt_tokens, completion_tokens, latency_ms, ttft_ms)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [u.agentId, u.versionId, u.keyId, u.source, u.userId ?? null, u.stream, u.status, u.promptTokens, u.completionTokens, Math.round(u.latencyMs), u.timeToFirstTokenMs === null ? null : Math.round(u.timeToFirstTokenMs)],
      );
    },

    async summary(caller, { from, to, agentId }) {
      const params: unknown[] = [];
      const where = [readableBy(caller, { alias: 'a', members: 'agents.agent_members', resourceColumn: 'agent_id' }, params)];
      if (from) where.push(`u.created_at >= $${params.push(from)}::date`);
      if (to) where.push(`u.created_at < $${params.push(to)}::date + 1`);
      if (agentId) where.push(`u.agent_id = $${params.push(agentId)}`);
      const { rows } = await db.query<SummaryRow>(
        `select to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD') as day,
                u.agent_id, a.name as agent_name, u.source, u.key_id, k.name as key_name,
                count(*)::int as requests,
                (count(*) filter (where u.status = 'failed'))::int as failed,
                sum(u.prompt_tokens)::int as prompt_tokens,
                sum(u.completion_tokens)::int as completion_tokens,
                avg(u.latency_ms)::float8 as mean_latency_ms,
                avg(u.ttft_ms)::float8 as mean_ttft_ms
           from agents.usage u
           join agents.agents a on a.id = u.agent_id
           left join agents.keys k on k.id = u.key_id
          where ${where.join(' and ')}
          group by 1, u.agent_id, a.name, u.source, u.key_id, k.name
          order by 1, u.agent_id, u.source, u.key_id nulls first`,
        params,
      );
      return rows.map((r) => ({
        day: r.day,
        agentId: r.agent_id,
        agentName: r.agent_name,
        source: r.source,
        keyId: r.key_id,
        keyName: r.key_name,
        requests: r.requests,
        failed: r.failed,
        promptTokens: r.prompt_tokens,
        completionTokens: r.completion_tokens,
        totalTokens: r.prompt_tokens + r.completion_tokens,
        meanLatencyMs: Math.round(r.mean_latency_ms * 10) / 10,
        meanTimeToFirstTokenMs: r.mean_ttft_ms === null ? null : Math.round(r.mean_ttft_ms * 10) / 10,
      }));
    },
  };
}
