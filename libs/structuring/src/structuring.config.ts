import { z } from '@llmp/config';
import type { ChatEndpointOptions } from './build/qa-generators';
import { DEFAULT_MAX_LINE_BYTES } from './records/dataset-reader';

/** The variables of data-structuring beside the shared service ones. */
export const structuringEnv = z
  .object({
    /** Where the document-ingestion service answers; builders read knowledge-base chunks from it. */
    LLMP_INGESTION_URL: z.string().url('must be a URL such as http://document-ingestion:3000').default('http://127.0.0.1:3001'),
    /** A line (or JSON array element) of an upload larger than this is rejected; the rest of the file is kept. */
    LLMP_DATASET_MAX_LINE_BYTES: z.coerce.number().int('must be a whole number of bytes').min(1024, 'must be at least 1024 (bytes)').default(DEFAULT_MAX_LINE_BYTES),
    /** Knowledge-base builds this process runs at once; 0 runs the API only. */
    LLMP_DATASET_BUILD_WORKERS: z.coerce.number().int().min(0, 'must be 0 or more').default(1),
    /** Threads a clean of many records uses beside the request's own; 0 cleans on one thread; unset: cores − 1, at least 1. */
    LLMP_DATASET_CLEANING_THREADS: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').max(64, 'must be at most 64').optional(),
    /** An OpenAI-compatible API (Ollama, vLLM…), e.g. `http://ollama:11434/v1`, that writes question/answer pairs; unset: extractive pairs. */
    LLMP_DATASET_GENERATOR_URL: z.string().url('must be a URL such as http://ollama:11434/v1').optional(),
    LLMP_DATASET_GENERATOR_MODEL: z.string().min(1).optional(),
    LLMP_DATASET_GENERATOR_API_KEY: z.string().optional(),
    LLMP_DATASET_GENERATOR_TIMEOUT_MS: z.coerce.number().int().positive('must be a positive number of milliseconds').default(60_000),
  })
  .refine((env) => !env.LLMP_DATASET_GENERATOR_URL === !env.LLMP_DATASET_GENERATOR_MODEL, {
    message: 'set both LLMP_DATASET_GENERATOR_URL and LLMP_DATASET_GENERATOR_MODEL, or neither',
    path: ['LLMP_DATASET_GENERATOR_MODEL'],
  });
export type StructuringEnv = z.infer<typeof structuringEnv>;

/** The chat endpoint the configuration names, if any. */
export function chatEndpointOf(config: StructuringEnv): ChatEndpointOptions | null {
  if (!config.LLMP_DATASET_GENERATOR_URL || !config.LLMP_DATASET_GENERATOR_MODEL) return null;
  return {
    url: config.LLMP_DATASET_GENERATOR_URL,
    model: config.LLMP_DATASET_GENERATOR_MODEL,
    apiKey: config.LLMP_DATASET_GENERATOR_API_KEY,
    timeoutMs: config.LLMP_DATASET_GENERATOR_TIMEOUT_MS,
  };
}
