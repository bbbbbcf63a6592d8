import type { HttpApp } from '@llmp/http';
import type { JobQueue } from '@llmp/queue';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import type { BlobStore } from './blob-store/blob-store';
import { loadDemoData } from './demo/demo-data';
import { documentsRoutes } from './documents/documents.routes';
import { createDocumentsService, type DocumentsService } from './documents/documents.service';
import type { UploadLimits } from './documents/upload';
import type { EmbedderCatalog } from './embedding/embedder-catalog';
import { createKnowledgeBaseAccess } from './knowledge-bases/knowledge-base-access';
import { knowledgeBasesRoutes } from './knowledge-bases/knowledge-bases.routes';
import { createKnowledgeBasesService, type KnowledgeBasesService } from './knowledge-bases/knowledge-bases.service';
import { ingestionMigrations } from './migrations';
import { createDocumentJobs, DOCUMENT_QUEUE, type DocumentJobs, type DocumentJobsOptions } from './pipeline/document-jobs';
import { createParsePool } from './parsing/parse-pool';
import { createDocumentPipeline } from './pipeline/document-pipeline';
import { startReconciler, type Reconciler } from './pipeline/reconciler';
import { searchRoutes } from './search/search.routes';
import { createSearchService, type SearchService } from './search/search.service';
import type { Lexer } from './search/lexer';
import { createIngestionStores } from './stores';
import type { VectorStore } from './vector-store/vector-store';

export interface PipelineOptions extends DocumentJobsOptions {
  /** Documents this process works on at once (default 2). */
  concurrency?: number;
  /** How often stuck documents are looked for (default 30 000). */
  reconcileIntervalMs?: number;
  embedBatchSize?: number;
  /** Parser threads of this process (default: 2, or 1 on a single core). */
  parseWorkers?: number;
  /** Heap of each parser thread in MB (default 512). */
  parseMemoryMb?: number;
  /** Longest one document may parse before its thread is stopped (default 120 000). */
  parseTimeoutMs?: number;
  /** Attempts of a document whose parser crashes or times out before it fails for good (default 2). */
  maxParseAttempts?: number;
}

export interface IngestionAppDeps extends ServiceAppDeps {
  /** Started by the caller, who also stops it after `app.locals.close()`. */
  queue: JobQueue;
  blobs: BlobStore;
  vectors: VectorStore;
  embedders: EmbedderCatalog;
  uploads?: Partial<UploadLimits>;
  pipeline?: PipelineOptions;
  /** Run pipeline workers in this process (default true); false for an API-only replica. */
  worker?: boolean;
  /** Computes chunks' full-text lexemes away from `db` (see `createDbLexer`); the caller closes it. */
  lexer?: Lexer;
}

export interface Ingestion {
  app: HttpApp;
  knowledgeBases: KnowledgeBasesService;
  documents: DocumentsService;
  search: SearchService;
  jobs: DocumentJobs;
  reconciler: Reconciler;
}

/** The document-ingestion service: its HTTP app, its services, and its pipeline workers on the job queue. */
export async function createIngestion(deps: IngestionAppDeps): Promise<Ingestion> {
  const { db, log, queue, blobs, vectors, embedders, uploads, pipeline = {}, worker = true, lexer } = deps;
  const { concurrency = 2, reconcileIntervalMs, embedBatchSize, parseWorkers, parseMemoryMb, parseTimeoutMs, maxParseAttempts, ...jobOptions } = pipeline;
  const jobs = createDocumentJobs(queue, jobOptions);
  await queue.ensureQueue(DOCUMENT_QUEUE, jobs.queueOptions);

  const stores = createIngestionStores(db, vectors);
  const access = createKnowledgeBaseAccess(stores.knowledgeBases);
  const knowledgeBases = createKnowledgeBasesService({ ...stores, blobs, vectors, embedders, jobs, access, log });
  const documents = createDocumentsService({ ...stores, blobs, vectors, jobs, access, log, limits: uploads });
  const search = createSearchService({ store: stores.search, vectors, embedders, access });

  // The serving thread never parses: hostile files can exhaust a parser thread's heap or spin, never the process.
  const parser = worker ? createParsePool({ size: parseWorkers, memoryMb: parseMemoryMb, timeoutMs: parseTimeoutMs, log: log.child({ component: 'parser' }) }) : null;
  let documentPipeline: ReturnType<typeof createDocumentPipeline> | null = null;
  if (parser) {
    await parser.warm();
    documentPipeline = createDocumentPipeline({ ...stores, blobs, vectors, embedders, jobs, log, parser, lexer, embedBatchSize, maxParseAttempts });
    await queue.work(DOCUMENT_QUEUE, { concurrency }, documentPipeline.handle);
  }
  // Any process may settle documents whose worker died; it takes no lock and changes only what is stuck.
  const reconciler = startReconciler({ documents: stores.documents, jobs, log, intervalMs: reconcileIntervalMs, idleSeconds: jobs.queueOptions.expireInSeconds });

  const app = createServiceApp(
    { ...deps, health: { vectors: () => vectors.health(), queue: () => queue.health(), blobs: () => blobs.health(), ...deps.health } },
    {
      service: 'document-ingestion',
      area: 'ingestion',
      migrations: ingestionMigrations,
      routes: [
        ...knowledgeBasesRoutes(knowledgeBases, () => loadDemoData({ knowledgeBases, documents, log })),
        ...documentsRoutes(documents),
        ...searchRoutes(search),
      ],
    },
  );
  app.locals.close = async () => {
    await reconciler.stop();
    if (worker) await queue.offWork(DOCUMENT_QUEUE, { graceful: true, timeoutMs: 10_000 });
    await documentPipeline?.drain();
    await parser?.close();
  };
  return { app, knowledgeBases, documents, search, jobs, reconciler };
}

export async function createIngestionApp(deps: IngestionAppDeps): Promise<HttpApp> {
  return (await createIngestion(deps)).app;
}
