import { z } from 'zod';
import type { AgentsAppDeps } from './agents.app';

/** Compose passes an unset variable as an empty string. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** The variables of agent-deployment beside the shared service ones. */
export const agentsEnv = z.object({
  /** Document ingestion, whose search API answers retrieval: `http://document-ingestion:3001`. */
  LLMP_INGESTION_URL: z.string().url('must be a URL such as http://document-ingestion:3001'),
  /** Model training, whose registry holds the trained models agents may name (`model_…`); without it they cannot. */
  LLMP_TRAINING_URL: z.preprocess(unsetIfEmpty, z.string().url('must be a URL such as http://model-training:3003').optional()),
  /** An OpenAI-compatible server (vLLM, Ollama, LiteLLM, OpenAI) with its /v1, for agents on the `openai` provider. */
  LLMP_AGENTS_UPSTREAM_URL: z.preprocess(unsetIfEmpty, z.string().url('must be a URL such as http://ollama:11434/v1').optional()),
  LLMP_AGENTS_UPSTREAM_API_KEY: z.preprocess(unsetIfEmpty, z.string().optional()),
  LLMP_AGENTS_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive('must be a positive number of milliseconds').default(30_000),
  /** GGUF files agents on the `gguf` provider name: the training registry's exports or any file placed there. */
  LLMP_MODELS_DIR: z.string().default('.llmp/data/models'),
  /** Answers generated at once per provider (GGUF: sequences of the shared context), and how many may wait. */
  LLMP_AGENTS_CONCURRENCY: z.coerce.number().int().positive('must be a positive whole number').default(2),
  LLMP_AGENTS_QUEUE: z.coerce.number().int().min(0, 'must be 0 or more').default(32),
  LLMP_AGENTS_QUEUE_TIMEOUT_MS: z.coerce.number().int().positive('must be a positive number of milliseconds').default(30_000),
  LLMP_AGENTS_MAX_MESSAGE_CHARS: z.coerce.number().int().positive('must be a positive number of characters').default(200_000),
  /** Streamed answers send at most one content event per this many milliseconds after the first (0: one per token). */
  LLMP_AGENTS_STREAM_INTERVAL_MS: z.coerce.number().int().min(0, 'must be 0 or more milliseconds').max(1000, 'must be at most 1000 milliseconds').default(15),
});
export type AgentsEnv = z.infer<typeof agentsEnv>;

export function agentsOptionsFrom(config: AgentsEnv): Pick<AgentsAppDeps, 'ingestionUrl' | 'trainingUrl' | 'upstream' | 'chatLimits' | 'modelsDir' | 'concurrency' | 'stream'> {
  return {
    ingestionUrl: config.LLMP_INGESTION_URL,
    trainingUrl: config.LLMP_TRAINING_URL,
    upstream: config.LLMP_AGENTS_UPSTREAM_URL
      ? { baseUrl: config.LLMP_AGENTS_UPSTREAM_URL, apiKey: config.LLMP_AGENTS_UPSTREAM_API_KEY, idleTimeoutMs: config.LLMP_AGENTS_UPSTREAM_TIMEOUT_MS }
      : undefined,
    chatLimits: { maxContentChars: config.LLMP_AGENTS_MAX_MESSAGE_CHARS },
    modelsDir: config.LLMP_MODELS_DIR,
    concurrency: { concurrency: config.LLMP_AGENTS_CONCURRENCY, queueSize: config.LLMP_AGENTS_QUEUE, queueTimeoutMs: config.LLMP_AGENTS_QUEUE_TIMEOUT_MS },
    stream: { intervalMs: config.LLMP_AGENTS_STREAM_INTERVAL_MS },
  };
}
