import { z } from 'zod';
import { visibilitySchema } from './access';

/**
 * Agents: a model, a system prompt, knowledge bases and retrieval and
 * generation settings, published in immutable versions and served at `/v1`.
 * The gateway reads `AGENT_KEY_PREFIX` to pass agent keys on to the
 * agent-deployment service, which checks them itself.
 */
export const AGENT_KEY_PREFIX = 'llmp_agk';

export const agentNameSchema = z
  .string({ message: 'is required' })
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1–64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit (it is the "model" clients send)');

/** A model of the training service's registry, as agents name it. */
export const REGISTRY_MODEL_ID = /^model_[0-9a-z]{1,64}$/;

export const agentProviderSchema = z.discriminatedUnion('kind', [
  /** Quotes the best passages with their citations; no model generates text. */
  z.object({ kind: z.literal('extractive') }),
  /**
   * A GGUF run in process by llama.cpp: a model of the training service's
   * registry (`model_…`), or a file a user placed in the models directory.
   */
  z.object({
    kind: z.literal('gguf'),
    model: z.union(
      [
        z.string().regex(REGISTRY_MODEL_ID),
        z
          .string()
          .max(200)
          .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\.gguf$/)
          .refine((path) => !path.split('/').includes('..')),
      ],
      { message: 'must be a trained model id ("model_…") or a .gguf file path inside the models directory (no "..", no leading "/")' },
    ),
  }),
  /** The OpenAI-compatible upstream configured for the service (vLLM, Ollama, LiteLLM, OpenAI). */
  z.object({ kind: z.literal('openai'), model: z.string().min(1).max(200) }),
]);
export type AgentProvider = z.infer<typeof agentProviderSchema>;

export const retrievalSettingsSchema = z.object({
  /** Passages asked of the knowledge bases per question. */
  topK: z.number().int().min(1).max(20).default(4),
  /** The most tokens of passages put in the prompt; lower-ranked passages that do not fit are left out. */
  maxContextTokens: z.number().int().min(50).max(32_000).default(1500),
});

export const generationSettingsSchema = z.object({
  temperature: z.number().min(0).max(2).default(0.2),
  topP: z.number().gt(0).max(1).default(1),
  /** Completion tokens when the request does not say (`max_tokens`), and the most it may ask for. */
  maxTokens: z.number().int().min(1).max(8192).default(256),
});

export const agentConfigSchema = z.object({
  provider: agentProviderSchema.default({ kind: 'extractive' }),
  systemPrompt: z.string().max(20_000).default(''),
  knowledgeBaseIds: z.array(z.string().regex(/^kb_[0-9a-z]{1,64}$/, 'must be a knowledge base id such as "kb_01j…"')).max(20).default([]),
  retrieval: retrievalSettingsSchema.default({ topK: 4, maxContextTokens: 1500 }),
  generation: generationSettingsSchema.default({ temperature: 0.2, topP: 1, maxTokens: 256 }),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export const createAgentBody = z.object({
  name: agentNameSchema,
  description: z.string().max(2000).default(''),
  visibility: visibilitySchema.default('private'),
  config: agentConfigSchema.default(agentConfigSchema.parse({})),
});
export type CreateAgentInput = z.infer<typeof createAgentBody>;

/** Replaces the draft's config, and optionally the description and visibility. */
export const updateDraftBody = z.object({
  description: z.string().max(2000).optional(),
  visibility: visibilitySchema.optional(),
  config: agentConfigSchema.optional(),
});
export type UpdateDraftInput = z.infer<typeof updateDraftBody>;

/** A version by its number (`3`) or its id (`agv_…`). */
export const versionRefSchema = z.union([z.number().int().min(1), z.string().regex(/^agv_[0-9a-z]{1,64}$/, 'must be a version number or an id such as "agv_01j…"')]);
export const rollbackBody = z.object({ version: versionRefSchema });

/**
 * A conversation sent to `POST /api/agents/:id/chat` (the console's
 * playground, for a signed-in user who may read the agent): OpenAI's chat
 * fields without "model"; `version` picks a published version (number or
 * id), the served one otherwise. The answer is shaped as `/v1`'s.
 */
export interface PlaygroundChatInput {
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  stream?: boolean;
  version?: number | string;
  max_tokens?: number;
  temperature?: number;
}

export const createAgentKeyBody = z.object({
  name: z.string().trim().min(1).max(100),
  /** Requests per minute; unset means no limit. */
  rpm: z.number().int().min(1).max(1_000_000).optional(),
  /** Tokens (prompt + completion) per minute; unset means no limit. */
  tpm: z.number().int().min(1).max(100_000_000).optional(),
});
export type CreateAgentKeyInput = z.infer<typeof createAgentKeyBody>;

export interface AgentVersion {
  id: string;
  agentId: string;
  number: number;
  config: AgentConfig;
  createdBy: string | null;
  createdAt: string;
}

export interface Agent {
  id: string;
  name: string;
  description: string;
  ownerId: string | null;
  visibility: z.infer<typeof visibilitySchema>;
  draft: AgentConfig;
  /** The version `/v1` serves; null until the first publish. */
  publishedVersion: { id: string; number: number } | null;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AgentKey {
  id: string;
  agentId: string;
  name: string;
  /** The first characters of the key, to tell keys apart; the key itself is shown once. */
  prefix: string;
  rpm: number | null;
  tpm: number | null;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface VersionDiffEntry {
  /** Dotted path of the setting: `provider.model`, `retrieval.topK`, `knowledgeBaseIds`. */
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * One passage an answer drew on, returned beside OpenAI's fields as
 * `citations` (and in the last streamed chunk): `[n]` in the answer text
 * refers to `index` n.
 */
export interface AgentCitation {
  index: number;
  documentId: string;
  knowledgeBaseId: string;
  title: string;
  filename: string;
  page: number | null;
  pageEnd: number | null;
  heading: string | null;
  startOffset: number;
  endOffset: number;
  score: number;
  text: string;
}

export const usageQuery = z.object({
  from: z.iso.date({ message: 'must be a date such as 2026-01-31' }).optional(),
  to: z.iso.date({ message: 'must be a date such as 2026-01-31' }).optional(),
  agentId: z.string().optional(),
});
export type UsageQuery = z.infer<typeof usageQuery>;

/** `api`: a call with an agent key; `playground`: a signed-in user trying the agent in the console. */
export type UsageSource = 'api' | 'playground';

export interface UsageSummaryRow {
  day: string;
  agentId: string;
  agentName: string;
  source: UsageSource;
  /** The key used; null for the playground. */
  keyId: string | null;
  keyName: string | null;
  requests: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  meanLatencyMs: number;
  meanTimeToFirstTokenMs: number | null;
}
