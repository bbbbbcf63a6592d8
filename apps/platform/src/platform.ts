import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createAuthService, type AuthService } from '@llmp/auth';
import { agentsMigrations, createAgents, loadDemoAgent, type SlotOptions } from '@llmp/agents';
import type { Logger } from '@llmp/core';
import { createDashboardApp } from '@llmp/dashboard';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { createGatewayApp, gatewayMigrations } from '@llmp/gateway';
import { listen, type HttpApp, type RunningServer } from '@llmp/http';
import {
  createEmbedderCatalog,
  createFsBlobStore,
  ggufChoice,
  createIngestion,
  createPgvectorStore,
  createEnglishLexer,
  createStandbyLexer,
  ingestionMigrations,
  loadDemoData,
  type GgufEmbedderOptions,
  type PipelineOptions,
  type UploadLimits,
} from '@llmp/ingestion';
import { createJobQueue } from '@llmp/queue';
import { createStructuring, structuringMigrations } from '@llmp/structuring';
import { createTrainingApp, trainingMigrations, type TrainingAppDeps } from '@llmp/training';
import { lockDataDir } from './data-dir-lock';

export const ALL_MIGRATIONS = [gatewayMigrations, ingestionMigrations, structuringMigrations, trainingMigrations, agentsMigrations];

export interface PlatformOptions {
  /** Where PGlite keeps its files; omit for an in-memory platform (tests). */
  dataDir?: string;
  host?: string;
  port?: number;
  log: Logger;
  /** scrypt cost override, for tests only. */
  passwordCost?: { N: number; r: number; p: number };
  /** Load the demo knowledge base on the first run (default: when there is a data directory). */
  demoData?: boolean;
  /** Document pipeline timing overrides, for tests. */
  ingestionPipeline?: PipelineOptions;
  /** Upload limits (default 50 MB per file, 20 files per request). */
  ingestionUploads?: Partial<UploadLimits>;
  /**
   * Where chunks' full-text lexemes are computed: `english` (default) here,
   * with the database's dictionaries, one statement per document for the
   * words it has not seen; `standby` a second engine on another thread,
   * started for large documents and closed when idle (some 700 MB while it
   * runs); `database` the database itself, slowest.
   */
  ingestionLexer?: 'english' | 'standby' | 'database';
  /** A GGUF embedding model knowledge bases may choose (`gguf:<file name>`), run by llama.cpp in this process. */
  ggufEmbedder?: GgufEmbedderOptions;
  /** GGUF files agents may serve (default `<dataDir>/models`; none without a data directory). */
  modelsDir?: string;
  /** Answers each agent provider generates at once, and how many wait (benchmarks). */
  agentConcurrency?: SlotOptions;
  /** What a training job may need at most before its pre-flight check refuses it (default 2048 MB, 3600 s). */
  trainingLimits?: TrainingAppDeps['limits'];
}

export interface Platform {
  url: string;
  db: Db;
  auth: AuthService;
  /** The first admin's generated password, present only on the run that created it. */
  firstAdmin: { username: string; password: string } | null;
  gateway: HttpApp;
  /** Signs identities between the gateway and services; lives only in this process. */
  internalSecret: string;
  services: Record<string, { app: HttpApp; server: RunningServer }>;
  stop(): Promise<void>;
}

/**
 * Every service in one process over the embedded database: each listens on
 * an ephemeral loopback port and the gateway in front routes to them exactly
 * as it does between containers.
 */
export async function startPlatform({
  dataDir,
  host = '127.0.0.1',
  port = 8080,
  log,
  passwordCost,
  demoData = !!dataDir,
  ingestionPipeline,
  ingestionUploads,
  ingestionLexer = 'english',
  ggufEmbedder,
  modelsDir = dataDir ? path.join(path.resolve(dataDir), 'models') : undefined,
  agentConcurrency,
  trainingLimits,
}: PlatformOptions): Promise<Platform> {
  const unlock = dataDir ? lockDataDir(path.resolve(dataDir)) : () => undefined;
  const started: Array<() => Promise<void>> = [async () => unlock()];
  const stop = async () => {
    for (const close of started.reverse()) await close();
  };
  try {
    // On a thread of its own, so a long statement never stalls the requests this process serves.
    const db = await createPgliteDb({ dataDir: dataDir ? path.join(path.resolve(dataDir), 'pglite') : undefined, thread: true });
    started.push(() => db.close());
    for (const set of ALL_MIGRATIONS) await migrate(db, set);

    const internalSecret = randomBytes(32).toString('hex');
    const deps = (name: string) => ({ db, log: log.child({ service: name }), internalSecret });

    // Stopped after the services (the list closes in reverse), so their workers drain first.
    const queue = createJobQueue({ db, log: log.child({ component: 'queue' }) });
    await queue.start();
    started.push(() => queue.stop());
    const blobDir = dataDir ? path.join(path.resolve(dataDir), 'blobs') : await mkdtemp(path.join(os.tmpdir(), 'llmp-blobs-'));
    if (!dataDir) started.push(() => rm(blobDir, { recursive: true, force: true }));
    const gguf = ggufEmbedder ? await ggufChoice(ggufEmbedder) : undefined;
    // Knowledge bases pinned to the model still list and search by full text; their uploads fail with this reason.
    if (gguf && 'problem' in gguf) log.error({ service: 'document-ingestion', embedder: gguf.name }, gguf.problem);
    // Computing lexemes is most of what writing a chunk costs PGlite, which parses and stems in WebAssembly.
    const lexer =
      ingestionLexer === 'english'
        ? createEnglishLexer({ db, thread: true, log: log.child({ service: 'document-ingestion', component: 'lexer' }) })
        : ingestionLexer === 'standby'
          ? createStandbyLexer({ open: () => createPgliteDb({ thread: true }), log: log.child({ service: 'document-ingestion', component: 'lexer' }) })
          : undefined;
    if (lexer) started.push(() => lexer.close());
    const ingestion = await createIngestion({
      ...deps('document-ingestion'),
      queue,
      blobs: await createFsBlobStore({ root: blobDir }),
      vectors: await createPgvectorStore({ db }),
      embedders: createEmbedderCatalog({ gguf }),
      pipeline: ingestionPipeline,
      uploads: ingestionUploads,
      lexer,
    });
    const services: Platform['services'] = {};
    const structuring = await createStructuring({
      ...deps('data-structuring'),
      queue,
      // Known once the ingestion server listens, below; builds only run after that.
      ingestionUrl: () => services['document-ingestion'].server.url,
    });
    const agents = createAgents({
      ...deps('agent-deployment'),
      ingestionUrl: () => services['document-ingestion'].server.url,
      trainingUrl: () => services['model-training'].server.url,
      modelsDir,
      concurrency: agentConcurrency,
    });
    const trainingDir = dataDir ? path.join(path.resolve(dataDir), 'training') : await mkdtemp(path.join(os.tmpdir(), 'llmp-training-'));
    if (!dataDir) started.push(() => rm(trainingDir, { recursive: true, force: true }));
    const apps: Record<string, HttpApp> = {
      'document-ingestion': ingestion.app,
      'data-structuring': structuring.app,
      // The datasets service listens only below, so its URL is looked up when a job needs it.
      'model-training': createTrainingApp({ ...deps('model-training'), trainingDir, limits: trainingLimits, structuringUrl: () => services['data-structuring'].server.url }),
      'agent-deployment': agents.app,
      'admin-dashboard': createDashboardApp({ log: log.child({ service: 'admin-dashboard' }) }),
    };
    for (const [name, app] of Object.entries(apps)) {
      const server = await listen(app, { host: '127.0.0.1', port: 0 });
      services[name] = { app, server };
      started.push(async () => {
        await server.close(5000);
        await app.locals.close?.();
      });
    }

    const auth = createAuthService({ db, log: log.child({ service: 'api-gateway' }), passwordCost });
    await auth.listenForRevocations();
    started.push(() => auth.close());
    const firstAdmin = await auth.bootstrapAdmin();
    if (firstAdmin && demoData) {
      const demo = await loadDemoData({ knowledgeBases: ingestion.knowledgeBases, documents: ingestion.documents, log: log.child({ service: 'document-ingestion' }) });
      await structuring.loadDemo(demo.knowledgeBase.id);
      await loadDemoAgent({ agents: agents.agents, knowledgeBaseId: demo.knowledgeBase.id, log: log.child({ service: 'agent-deployment' }) });
    }
    const gateway = createGatewayApp({
      db,
      log: log.child({ service: 'api-gateway' }),
      auth,
      internalSecret,
      services: {
        ingestion: services['document-ingestion'].server.url,
        structuring: services['data-structuring'].server.url,
        training: services['model-training'].server.url,
        agents: services['agent-deployment'].server.url,
        dashboard: services['admin-dashboard'].server.url,
      },
    });
    const server = await listen(gateway, { host, port });
    started.push(async () => {
      await server.close(5000);
      await gateway.locals.close?.();
    });
    return { url: server.url, db, auth, firstAdmin, gateway, internalSecret, services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
