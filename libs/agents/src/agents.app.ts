import { createServiceClient } from '@llmp/auth';
import { createKeptListener } from '@llmp/db';
import type { HttpApp } from '@llmp/http';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import { createPgAgentStore } from './agents/agent.store';
import { agentsRoutes } from './agents/agents.routes';
import { createAgentsService, type AgentsService } from './agents/agents.service';
import { loadDemoAgent } from './demo/demo-agent';
import { AGENTS_CHANGED_CHANNEL } from './changes';
import { AGENTS_SERVICE, createIngestionKnowledgeSource, type KnowledgeSource } from './ingestion-client';
import { createPgAgentKeyStore } from './keys/agent-key.store';
import { createTrainingModelRegistry } from './model-registry';
import { agentsMigrations } from './migrations';
import type { ChatRequestLimits } from './serving/chat-request';
import { DEFAULT_STREAM_OPTIONS, mountOpenAiErrors, openAiRoutes, playgroundRoutes, type StreamOptions } from './serving/openai.routes';
import { createExtractiveProvider } from './serving/providers/extractive.provider';
import { createGgufProvider } from './serving/providers/gguf.provider';
import { createOpenAiUpstreamProvider, type OpenAiUpstreamOptions } from './serving/providers/openai-upstream.provider';
import type { ModelProvider } from './serving/providers/provider';
import { createRateLimiter } from './serving/rate-limiter';
import { createServingCache, type ServingCache } from './serving/serving-cache';
import { createServingService, type ServingService } from './serving/serving.service';
import { createSlots, type SlotOptions, type Slots } from './serving/slots';
import { createPgUsageStore } from './usage/usage.store';

export interface AgentsAppDeps extends ServiceAppDeps {
  /** Where document ingestion listens (its search API), or a function for callers built before it listens. */
  ingestionUrl: string | (() => string);
  /** An OpenAI-compatible server for agents on the `openai` provider. */
  upstream?: OpenAiUpstreamOptions;
  /** Request limits of `/v1/chat/completions`. */
  chatLimits?: Partial<ChatRequestLimits>;
  /** GGUF files agents may name (`LLMP_MODELS_DIR`); without it the gguf provider is not offered. */
  modelsDir?: string;
  /** Concurrent generations and waiting requests per model provider (the extractive answerer needs none). */
  concurrency?: SlotOptions;
  /** Where model training listens (its model registry), for agents on trained models. */
  trainingUrl?: string | (() => string);
  /** How streamed answers are paced (`LLMP_AGENTS_STREAM_INTERVAL_MS`). */
  stream?: StreamOptions;
  /** Replaces the knowledge source built from `ingestionUrl` (tests of the service alone). */
  knowledge?: KnowledgeSource;
}

export interface Agents {
  app: HttpApp;
  agents: AgentsService;
  serving: ServingService;
  /** Keys and agent versions this replica has looked up recently; kept only while it hears changes. */
  cache: ServingCache;
}

export const DEFAULT_CONCURRENCY: SlotOptions = { concurrency: 4, queueSize: 32, queueTimeoutMs: 30_000 };

export const DEFAULT_CHAT_LIMITS: ChatRequestLimits = { maxContentChars: 200_000, maxMessages: 256 };

/** The agent-deployment service: stores, services and routes, built once. */
export function createAgents(deps: AgentsAppDeps): Agents {
  const { db, log, internalSecret, ingestionUrl, upstream } = deps;
  const knowledge =
    deps.knowledge ?? createIngestionKnowledgeSource(createServiceClient({ secret: internalSecret, service: AGENTS_SERVICE, baseUrl: ingestionUrl, timeoutMs: 15_000 }));
  const registry = deps.trainingUrl
    ? createTrainingModelRegistry(createServiceClient({ secret: internalSecret, service: AGENTS_SERVICE, baseUrl: deps.trainingUrl, timeoutMs: 120_000 }))
    : undefined;
  // Keys and served versions are kept for seconds, and forgotten at every change: here at once, on other replicas when they hear it.
  const cache = createServingCache();
  const changes = createKeptListener(db, AGENTS_CHANGED_CHANNEL, {
    onNotify: () => cache.changed(),
    onListening: () => cache.enable(),
    onLost: (error) => {
      cache.disable();
      log.warn({ err: error }, 'not hearing changes to agents and keys; every answer looks its key and agent up in the database until listening works again');
    },
  });
  void changes.start();
  const onServingChange = () => cache.changed();
  const stores = { agents: createPgAgentStore(db, { onServingChange }), keys: createPgAgentKeyStore(db, { onServingChange }), usage: createPgUsageStore(db) };
  const providers: Partial<Record<ModelProvider['kind'], ModelProvider>> = { extractive: createExtractiveProvider() };
  const slots: Partial<Record<ModelProvider['kind'], Slots>> = {};
  if (upstream) {
    providers.openai = createOpenAiUpstreamProvider(upstream);
    slots.openai = createSlots(deps.concurrency ?? DEFAULT_CONCURRENCY);
  }
  if (deps.modelsDir) {
    const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
    providers.gguf = createGgufProvider({ modelsDir: deps.modelsDir, sequences: concurrency.concurrency, registry, log, flushMs: (deps.stream ?? DEFAULT_STREAM_OPTIONS).intervalMs });
    slots.gguf = createSlots(concurrency);
  }
  const agents = createAgentsService({ ...stores, knowledge, registry, log });
  const serving = createServingService({
    ...stores,
    knowledge,
    limiter: createRateLimiter(),
    providers,
    slots,
    limits: { ...DEFAULT_CHAT_LIMITS, ...deps.chatLimits },
    log,
    cache,
  });
  const app = createServiceApp(deps, {
    service: AGENTS_SERVICE,
    area: 'agents',
    migrations: agentsMigrations,
    routes: [...agentsRoutes(agents, (knowledgeBaseId) => loadDemoAgent({ agents, knowledgeBaseId, log })), ...playgroundRoutes(agents, serving, log, deps.stream ?? DEFAULT_STREAM_OPTIONS), ...openAiRoutes(serving, log, deps.stream ?? DEFAULT_STREAM_OPTIONS)],
    afterRoutes: (a) => mountOpenAiErrors(a, log),
  });
  app.locals.close = async () => {
    await changes.stop();
    cache.disable();
    await serving.flush();
    await Promise.all(Object.values(providers).map((p) => p.close?.()));
  };
  return { app, agents, serving, cache };
}

export function createAgentsApp(deps: AgentsAppDeps): HttpApp {
  return createAgents(deps).app;
}
