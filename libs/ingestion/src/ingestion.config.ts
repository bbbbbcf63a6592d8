import path from 'node:path';
import { z } from '@llmp/config';
import type { Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import type { BlobStore } from './blob-store/blob-store';
import { createFsBlobStore } from './blob-store/fs-blob-store';
import { createEmbedderCatalog, ggufChoice, type EmbedderCatalog } from './embedding/embedder-catalog';
import { HASHING_EMBEDDER } from './embedding/hashing-embedder';
import { DEFAULT_PARSE_WORKERS } from './parsing/parse-pool';
import type { UploadLimits } from './documents/upload';
import type { PipelineOptions } from './ingestion.app';
import { createMilvusStore } from './vector-store/milvus-store';
import { createEnglishLexer } from './search/english-lexer';
import type { Lexer } from './search/lexer';
import { createPgvectorStore } from './vector-store/pgvector-store';
import type { VectorStore } from './vector-store/vector-store';

const positiveInt = (message: string) => z.coerce.number({ message }).int(message).positive(message);

/** The variables of document-ingestion beside the shared service ones. */
export const ingestionEnv = z
  .object({
    LLMP_DATA_DIR: z.string().default('.llmp/data'),
    /** Raw uploaded files; a volume in staging (default `$LLMP_DATA_DIR/blobs`). */
    LLMP_INGESTION_BLOB_DIR: z.string().optional(),
    LLMP_INGESTION_MAX_FILE_MB: z.coerce.number({ message: 'must be a number of megabytes' }).positive('must be positive').default(50),
    LLMP_INGESTION_MAX_FILES: positiveInt('must be a positive whole number').default(20),
    /** Documents processed at once by this process; 0 runs the API only. */
    LLMP_INGESTION_WORKERS: z.coerce.number().int().min(0, 'must be 0 or more').default(2),
    LLMP_INGESTION_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    LLMP_INGESTION_HEARTBEAT_TIMEOUT_S: positiveInt('must be a positive number of seconds').default(120),
    /** Parser processes beside the serving one (default: 2, or 1 on a single core). */
    LLMP_INGESTION_PARSE_WORKERS: positiveInt('must be a positive whole number').default(DEFAULT_PARSE_WORKERS),
    /** Heap of each parser process; DOCX parts may expand to a sixteenth of it. */
    LLMP_INGESTION_PARSE_MEMORY_MB: z.coerce.number().int('must be a whole number of megabytes').min(64, 'must be at least 64 (megabytes)').default(512),
    LLMP_INGESTION_PARSE_TIMEOUT_S: positiveInt('must be a positive number of seconds').default(120),
    /** Attempts of a document whose parser crashes or times out before it fails for good. */
    LLMP_INGESTION_PARSE_ATTEMPTS: positiveInt('must be a positive whole number').default(2),
    /** Where chunks' full-text lexemes are computed: `english` here, with the database's dictionaries, or `database` there. */
    LLMP_INGESTION_LEXER: z.enum(['english', 'database'], { message: 'must be "english" or "database"' }).default('english'),
    LLMP_VECTOR_STORE: z.enum(['pgvector', 'milvus'], { message: 'must be "pgvector" or "milvus"' }).default('pgvector'),
    LLMP_MILVUS_ADDRESS: z.string().optional(),
    MILVUS_ADDRESS: z.string().optional(),
    LLMP_MILVUS_TOKEN: z.string().optional(),
    /** An OpenAI-compatible server (Ollama, vLLM, TEI…), e.g. `http://ollama:11434/v1`. */
    LLMP_EMBEDDINGS_URL: z.string().url('must be a URL such as http://ollama:11434/v1').optional(),
    LLMP_EMBEDDINGS_MODEL: z.string().min(1).optional(),
    LLMP_EMBEDDINGS_DIMENSION: positiveInt('must be a positive whole number').optional(),
    LLMP_EMBEDDINGS_API_KEY: z.string().optional(),
    LLMP_EMBEDDINGS_TIMEOUT_MS: positiveInt('must be a positive number of milliseconds').default(30_000),
    LLMP_EMBEDDINGS_BATCH_SIZE: positiveInt('must be a positive whole number').default(64),
    /** A GGUF embedding model file run in this process by llama.cpp, offered as `gguf:<file name>`. */
    LLMP_EMBEDDINGS_GGUF_PATH: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
    /** Put before queries and documents for models trained with prefixes (nomic-embed: `search_query: `, `search_document: `). */
    LLMP_EMBEDDINGS_GGUF_QUERY_PREFIX: z.string().default(''),
    LLMP_EMBEDDINGS_GGUF_DOCUMENT_PREFIX: z.string().default(''),
    LLMP_EMBEDDINGS_GGUF_THREADS: positiveInt('must be a positive whole number').optional(),
    /** What new knowledge bases pin unless they say otherwise: `hashing-ngram-v1`, `openai` or `gguf`. */
    LLMP_DEFAULT_EMBEDDER: z.enum([HASHING_EMBEDDER, 'openai', 'gguf']).default(HASHING_EMBEDDER),
    LLMP_DEFAULT_EMBEDDER_DIMENSION: positiveInt('must be a positive whole number').default(384),
  })
  .superRefine((env, ctx) => {
    const milvus = env.LLMP_MILVUS_ADDRESS ?? env.MILVUS_ADDRESS;
    if (env.LLMP_VECTOR_STORE === 'milvus' && !milvus) {
      ctx.addIssue({ code: 'custom', path: ['LLMP_MILVUS_ADDRESS'], message: 'is required when LLMP_VECTOR_STORE=milvus' });
    }
    if (env.LLMP_EMBEDDINGS_URL) {
      if (!env.LLMP_EMBEDDINGS_MODEL) ctx.addIssue({ code: 'custom', path: ['LLMP_EMBEDDINGS_MODEL'], message: 'is required with LLMP_EMBEDDINGS_URL' });
      if (!env.LLMP_EMBEDDINGS_DIMENSION) ctx.addIssue({ code: 'custom', path: ['LLMP_EMBEDDINGS_DIMENSION'], message: 'is required with LLMP_EMBEDDINGS_URL' });
    } else if (env.LLMP_DEFAULT_EMBEDDER === 'openai') {
      ctx.addIssue({ code: 'custom', path: ['LLMP_EMBEDDINGS_URL'], message: 'is required when LLMP_DEFAULT_EMBEDDER=openai' });
    }
    if (env.LLMP_DEFAULT_EMBEDDER === 'gguf' && !env.LLMP_EMBEDDINGS_GGUF_PATH) {
      ctx.addIssue({ code: 'custom', path: ['LLMP_EMBEDDINGS_GGUF_PATH'], message: 'is required when LLMP_DEFAULT_EMBEDDER=gguf' });
    }
    // Checked even when single variables are bad, so every problem is reported in one go.
  }, { when: () => true });

export type IngestionEnv = z.infer<typeof ingestionEnv>;

export interface IngestionResources {
  blobs: BlobStore;
  vectors: VectorStore;
  embedders: EmbedderCatalog;
  uploads: UploadLimits;
  pipeline: PipelineOptions;
  worker: boolean;
  lexer?: Lexer;
}

/** Builds what the ingestion app needs from its configuration: blob store, vector store, embedders, limits. */
export async function ingestionResources(config: IngestionEnv, { db, log }: { db: Db; log: Logger }): Promise<IngestionResources> {
  const blobs = await createFsBlobStore({ root: config.LLMP_INGESTION_BLOB_DIR ?? path.join(config.LLMP_DATA_DIR, 'blobs') });
  const openAi = config.LLMP_EMBEDDINGS_URL
    ? {
        baseUrl: config.LLMP_EMBEDDINGS_URL,
        model: config.LLMP_EMBEDDINGS_MODEL!,
        dimension: config.LLMP_EMBEDDINGS_DIMENSION!,
        apiKey: config.LLMP_EMBEDDINGS_API_KEY,
        timeoutMs: config.LLMP_EMBEDDINGS_TIMEOUT_MS,
        batchSize: config.LLMP_EMBEDDINGS_BATCH_SIZE,
      }
    : undefined;
  const gguf = config.LLMP_EMBEDDINGS_GGUF_PATH
    ? await ggufChoice({
        modelPath: config.LLMP_EMBEDDINGS_GGUF_PATH,
        threads: config.LLMP_EMBEDDINGS_GGUF_THREADS,
        queryPrefix: config.LLMP_EMBEDDINGS_GGUF_QUERY_PREFIX,
        documentPrefix: config.LLMP_EMBEDDINGS_GGUF_DOCUMENT_PREFIX,
      })
    : undefined;
  // Knowledge bases already pinned to the model still list and search by full text; their uploads fail with this reason.
  if (gguf && 'problem' in gguf) log.error({ embedder: gguf.name }, gguf.problem);
  const embedders = createEmbedderCatalog({
    openAi,
    gguf,
    defaultSpec:
      config.LLMP_DEFAULT_EMBEDDER === 'openai'
        ? { name: `openai:${openAi!.model}`, dimension: openAi!.dimension }
        : config.LLMP_DEFAULT_EMBEDDER === 'gguf' && gguf
          ? { name: gguf.name, dimension: 'embedder' in gguf ? gguf.embedder.dimension : 0 }
          : { name: HASHING_EMBEDDER, dimension: config.LLMP_DEFAULT_EMBEDDER_DIMENSION },
  });
  const milvus = config.LLMP_MILVUS_ADDRESS ?? config.MILVUS_ADDRESS;
  const vectors =
    config.LLMP_VECTOR_STORE === 'milvus'
      ? await createMilvusStore({ address: milvus!, token: config.LLMP_MILVUS_TOKEN })
      : await createPgvectorStore({ db });
  log.info({ vectorStore: vectors.kind, defaultEmbedder: embedders.defaultSpec }, 'ingestion resources ready');
  return {
    blobs,
    vectors,
    embedders,
    uploads: { maxFileBytes: Math.round(config.LLMP_INGESTION_MAX_FILE_MB * 1024 * 1024), maxFiles: config.LLMP_INGESTION_MAX_FILES },
    pipeline: {
      concurrency: Math.max(1, config.LLMP_INGESTION_WORKERS),
      retryLimit: config.LLMP_INGESTION_RETRIES,
      expireInSeconds: config.LLMP_INGESTION_HEARTBEAT_TIMEOUT_S,
      parseWorkers: config.LLMP_INGESTION_PARSE_WORKERS,
      parseMemoryMb: config.LLMP_INGESTION_PARSE_MEMORY_MB,
      parseTimeoutMs: config.LLMP_INGESTION_PARSE_TIMEOUT_S * 1000,
      maxParseAttempts: config.LLMP_INGESTION_PARSE_ATTEMPTS,
    },
    worker: config.LLMP_INGESTION_WORKERS > 0,
    // Splitting and stemming chunks here spares the shared database about two thirds of its indexing work.
    lexer: config.LLMP_INGESTION_LEXER === 'english' ? createEnglishLexer({ db, thread: true, log: log.child({ component: 'lexer' }) }) : undefined,
  };
}
