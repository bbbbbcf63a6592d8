import { createServiceClient, serviceIdentity } from '@llmp/auth';
import { SYSTEM } from '@llmp/contracts';
import { notFound } from '@llmp/core';
import { toExpressHandler, type HttpApp } from '@llmp/http';
import type { JobQueue } from '@llmp/queue';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import { createIngestionChunkSource, type ChunkSource } from './build/chunk-source';
import { createChatEndpointGenerator, type ChatEndpointOptions } from './build/qa-generators';
import { BUILD_QUEUE, createDatasetBuilds, type DatasetBuilds, type DatasetBuildsOptions } from './build/dataset-builds';
import type { Build, Dataset } from './datasets/dataset';
import { datasetsRoutes, UPLOAD_PATH, uploadRoute } from './datasets/datasets.routes';
import { createDatasetsService, type DatasetLimits, type DatasetsService } from './datasets/datasets.service';
import { createPgStructuringStores } from './datasets/stores';
import { structuringMigrations } from './migrations';
import { createTokenCounter } from './validation/tokenizer';

export interface StructuringAppDeps extends ServiceAppDeps {
  /** Started by the caller, who also stops it after `app.locals.close()`. */
  queue: JobQueue;
  /** The document-ingestion service's base URL, or a function for callers built before it listens (the embedded platform). */
  ingestionUrl: string | (() => string);
  limits?: Partial<DatasetLimits>;
  builds?: DatasetBuildsOptions;
  /** Knowledge-base builds this process runs at once (default 1); 0 for an API-only replica. */
  buildWorkers?: number;
  /** Threads a clean of many records uses beside the calling one (default: cores − 1); 0 cleans on the calling thread. */
  cleaningThreads?: number;
  /** Where builders read chunks; by default the ingestion service at `ingestionUrl`. */
  chunks?: ChunkSource;
  /** An OpenAI-compatible chat endpoint that writes question/answer pairs; without one, builds use the extractive generator. */
  chatEndpoint?: ChatEndpointOptions | null;
}

export interface Structuring {
  app: HttpApp;
  datasets: DatasetsService;
  builds: DatasetBuilds;
  /**
   * Builds the "Demo" dataset from the demo knowledge base and freezes one
   * version, once; the build runs on the queue.
   */
  loadDemo(knowledgeBaseId: string): Promise<{ dataset: Dataset; build: Build | null }>;
  /** `loadDemo` from the platform's own "Demo" knowledge base, found through the ingestion service (the staging seed). */
  loadDemoFromIngestion(): Promise<{ dataset: Dataset; build: Build | null }>;
}

export const DEMO_DATASET = 'Demo';
const DEMO_KNOWLEDGE_BASE = 'Demo';

/** The data-structuring service: datasets, their records and versions, and knowledge-base builds on the job queue. */
export async function createStructuring(deps: StructuringAppDeps): Promise<Structuring> {
  const { db, log, queue, internalSecret, ingestionUrl, limits, buildWorkers = 1 } = deps;
  const stores = createPgStructuringStores(db);
  const tokenizer = createTokenCounter();
  const datasets = createDatasetsService({ stores, log, tokenizer, limits, cleaningThreads: deps.cleaningThreads });
  const chunks = deps.chunks ?? createIngestionChunkSource(createServiceClient({ secret: internalSecret, service: 'data-structuring', baseUrl: ingestionUrl }));
  const chatGenerator = deps.chatEndpoint ? createChatEndpointGenerator(deps.chatEndpoint) : null;
  const builds = createDatasetBuilds({ stores, queue, chunks, datasets, tokenizer, chatGenerator, log: log.child({ component: 'dataset-builds' }), ...deps.builds });
  await queue.ensureQueue(BUILD_QUEUE, builds.queueOptions);
  if (buildWorkers > 0) await queue.work(BUILD_QUEUE, { concurrency: buildWorkers }, builds.handle);

  const upload = uploadRoute(datasets);
  const app = createServiceApp(
    { ...deps, health: { queue: () => queue.health(), ...deps.health } },
    {
      service: 'data-structuring',
      area: 'datasets',
      migrations: structuringMigrations,
      routes: [upload, ...datasetsRoutes(datasets, builds, () => loadDemoFromIngestion())],
      // Uploads read the raw body as a stream: registered before the JSON body parser would consume a JSON array.
      beforeBody: (express) => express.post(UPLOAD_PATH, toExpressHandler(upload)),
    },
  );
  app.locals.close = async () => {
    if (buildWorkers > 0) await queue.offWork(BUILD_QUEUE, { graceful: true, timeoutMs: 10_000 });
  };

  async function loadDemo(knowledgeBaseId: string) {
    const existing = (await datasets.list(SYSTEM)).find((d) => d.name === DEMO_DATASET && d.ownerId === null);
    if (existing) return { dataset: existing, build: null };
    const dataset = await datasets.create({ name: DEMO_DATASET, description: 'Question/answer pairs built from the demo knowledge base', visibility: 'organisation' }, SYSTEM);
    const build = await builds.start(
      dataset.id,
      { knowledgeBaseId, mode: 'qa', generator: 'extractive', maxChunks: 10_000, freeze: { validation: 0.2, test: 0, seed: 'demo', minExamples: 10 } },
      serviceIdentity('data-structuring'),
      SYSTEM,
    );
    return { dataset, build };
  }

  async function loadDemoFromIngestion() {
    const knowledgeBase = await chunks.sharedKnowledgeBase(DEMO_KNOWLEDGE_BASE, serviceIdentity('data-structuring'));
    if (!knowledgeBase) {
      throw notFound({ code: 'demo_knowledge_base_missing', message: `the "${DEMO_KNOWLEDGE_BASE}" knowledge base does not exist: load it first (POST /api/ingestion/demo)` });
    }
    return loadDemo(knowledgeBase.id);
  }

  return { app, datasets, builds, loadDemo, loadDemoFromIngestion };
}

export async function createStructuringApp(deps: StructuringAppDeps): Promise<HttpApp> {
  return (await createStructuring(deps)).app;
}
