import { z } from 'zod';
import type { AgentsAppDeps } from './agents.app';

/** Compose passes an unset variable as an empty string. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** The variables of agent-deployment beside the shared service ones. */
export const agentsEnv = z.object({
  /** Document ingestion, whose search API answers retrieval: `http://document-ingestion:3001`. */
  LLMP_INGESTION_URL: z.string().url('must be a URL such as http://document-ingestion:3001'),
  /** An OpenAI-compatible server (vLLM, Ollama, LiteLLM, OpenAI) with its /v1, for agents on the `openai` provider. */
  LLMP_AGENTS_UPSTREAM_URL: z.preprocess(unsetIfEmpty, z.string().url('must be a URL such as http://ollama:11434/v1').optional()),
  LLMP_AGENTS_UPSTREAM_API_KEY: z.preprocess(unsetIfEmpty, z.string().optional()),
  LLMP_AGENTS_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive('must be a positive number of milliseconds').default(30_000),
  LLMP_AGENTS_MAX_MESSAGE_CHARS: z.coerce.number().int().positive('must be a positive number of characters').default(200_000),
});
export type AgentsEnv = z.infer<typeof agentsEnv>;

export function agentsOptionsFrom(config: AgentsEnv): Pick<AgentsAppDeps, 'ingestionUrl' | 'upstream' | 'chatLimits'> {
  return {
    ingestionUrl: config.LLMP_INGESTION_URL,
    upstream: config.LLMP_AGENTS_UPSTREAM_URL
      ? { baseUrl: config.LLMP_AGENTS_UPSTREAM_URL, apiKey: config.LLMP_AGENTS_UPSTREAM_API_KEY, idleTimeoutMs: config.LLMP_AGENTS_UPSTREAM_TIMEOUT_MS }
      : undefined,
    chatLimits: { maxContentChars: config.LLMP_AGENTS_MAX_MESSAGE_CHARS },
  };
}
