import { randomBytes } from 'node:crypto';
import { hashSecret } from '@llmp/auth';
import { AGENT_KEY_PREFIX, versionRefSchema, type AgentCitation, type AgentKey, type AgentProvider } from '@llmp/contracts';
import { DomainError, invalid, notFound, unavailable, type Logger } from '@llmp/core';
import type { AgentStore, ServedAgent } from '../agents/agent.store';
import type { KnowledgeSource } from '../ingestion-client';
import type { AgentKeyStore } from '../keys/agent-key.store';
import type { UsageStore } from '../usage/usage.store';
import { badParam, parseChatRequest, parseModel, type ChatRequest, type ChatRequestLimits } from './chat-request';
import { buildPrompt, citationsOf, countMessageTokens, countTokens, fitPassages, promptOpening, shortenableMessages, type PromptPassage } from './prompt';
import type { ModelProvider, Warmed } from './providers/provider';
import { createRateLimiter, type KeyLimits, type RateLimiter } from './rate-limiter';
import { createServingCache, type ServingCache, type Stamp } from './serving-cache';
import type { Slots } from './slots';

export interface ServingServiceDeps {
  agents: AgentStore;
  keys: AgentKeyStore;
  usage: UsageStore;
  knowledge: KnowledgeSource;
  limiter: RateLimiter;
  /** The providers this deployment offers, by kind; an agent on a missing one answers 503. */
  providers: Partial<Record<AgentProvider['kind'], ModelProvider>>;
  /** Bounds concurrent generations per provider; a provider without slots runs every request at once. */
  slots?: Partial<Record<AgentProvider['kind'], Slots>>;
  limits: ChatRequestLimits;
  log: Logger;
  /** Keys and agent versions looked up recently; without it every answer asks the database. */
  cache?: ServingCache;
}

/** An error that carries OpenAI's `x-ratelimit-*` headers with it. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly headers: Record<string, string>,
    retryAfterSeconds: number,
  ) {
    super('rate_limited', { code: 'rate_limit_exceeded', message, retryAfterSeconds });
  }
}

export interface CompletionOutcome {
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
  /** Tokens the model's context had no room for, when there were some. */
  promptShortened?: PromptShortened;
}

/** Where a prompt too long for its model's context gave way. */
export interface PromptShortened {
  passagesTokens: number;
  conversationTokens: number;
  /** Cut from the prompt's start, the system prompt first: only when the prompt without the question does not fit. */
  fromStartTokens: number;
}

/** An admitted chat completion: everything settled but the answer, which `deltas` streams. */
export interface Completion {
  id: string;
  created: number;
  /** `name@version`: which agent version answers. */
  model: string;
  stream: boolean;
  includeUsage: boolean;
  rateLimitHeaders: Record<string, string>;
  citations: AgentCitation[];
  /** Which provider answered, and whether it only quoted passages. */
  provider: AgentProvider['kind'];
  /**
   * The answer's text as it is produced; `outcome` is set once it ends.
   * Usage is recorded when the stream ends, fails, or is abandoned: the
   * write starts then, and the answer does not wait for it.
   */
  deltas(signal: AbortSignal): AsyncIterable<string>;
  outcome: CompletionOutcome | null;
}

export type ServingService = ReturnType<typeof createServingService>;

/** The playground is for trying an agent by hand: a person's pace, well below what a key may be given. */
export const PLAYGROUND_LIMITS: KeyLimits = { rpm: 30, tpm: 60_000 };

/** How often a key's `last_used_at` is written at most. */
const KEY_TOUCH_INTERVAL_MS = 60_000;

/** `/v1` answers this code with 401, as OpenAI does. */
export const INVALID_API_KEY = 'invalid_api_key';
const invalidKey = () =>
  invalid({ code: INVALID_API_KEY, message: 'Incorrect API key provided: send an agent key (llmp_agk_…) as "Authorization: Bearer"; it may be unknown or revoked, or its agent archived' });

export function createServingService({ agents, keys, usage, knowledge, limiter, providers, slots = {}, limits, log, cache = createServingCache() }: ServingServiceDeps) {
  async function authenticate(bearer: string | undefined, stamp: Stamp = cache.stamp()): Promise<AgentKey> {
    if (!bearer?.startsWith(`${AGENT_KEY_PREFIX}_`)) throw invalidKey();
    const secretHash = hashSecret(bearer);
    const known = cache.key(secretHash);
    if (known) return known;
    const key = await keys.findActive(secretHash);
    if (!key) throw invalidKey();
    cache.keepKey(secretHash, key, stamp);
    return key;
  }

  // When a key was last used is kept to KEY_TOUCH_INTERVAL_MS, not written on every request: a busy key would
  // otherwise add an update of the same row to each answer's path.
  const touchedAt = new Map<string, number>();
  function touch(keyId: string) {
    const now = Date.now();
    if (now - (touchedAt.get(keyId) ?? -Infinity) < KEY_TOUCH_INTERVAL_MS) return;
    if (touchedAt.size >= 10_000) touchedAt.clear();
    touchedAt.set(keyId, now);
    void keys.touch(keyId).catch((error) => log.warn({ err: error, keyId }, 'could not record when the key was last used'));
  }

  /** The agent version `model` names, or why it cannot be looked up; never rejects, so the key's verdict comes first. */
  async function lookUp(model: string, stamp: Stamp): Promise<ServedAgent | null | Error> {
    try {
      const known = cache.served(model);
      if (known) return known;
      const { agent, version } = parseModel(model);
      const served = await agents.served(agent, version);
      if (served) cache.keepServed(model, served, stamp);
      return served;
    } catch (error) {
      return error as Error;
    }
  }

  function checkServed(model: string, key: AgentKey, served: ServedAgent | null): ServedAgent {
    const { version } = parseModel(model);
    // A key opens its own agent only: another agent's name is as unknown as a made-up one.
    if (!served || served.agent.id !== key.agentId) {
      throw badParam('model', `The model "${model}" does not exist or this key may not use it; models are agent names or ids${version !== undefined ? ' with a version that exists' : ' with a published version'} (GET /v1/models lists them)`, 'model_not_found');
    }
    return served;
  }

  const playgroundLimiter = createRateLimiter();
  /** Usage writes of answers that have ended, until they are stored. */
  const recording = new Set<Promise<void>>();

  const service = {
    authenticate,

    /** Waits for the usage of every ended answer to be stored (before the database closes). */
    async flush(): Promise<void> {
      await Promise.all(recording);
    },

    /** The agent the key opens, if it has a published version. */
    async models(bearer: string | undefined): Promise<ServedAgent[]> {
      const key = await authenticate(bearer);
      return agents.listPublished([key.agentId]);
    },

    /** Everything before the answer: key, request, agent version, limits, retrieval and a model slot. `signal` ends a wait in the queue. */
    async start(bearer: string | undefined, body: unknown, signal: AbortSignal): Promise<Completion> {
      const startedAt = performance.now();
      // The key and the agent version are looked up together: one database round trip before retrieval, not two.
      const request: ChatRequest | Error = (() => {
        try {
          return parseChatRequest(body, limits);
        } catch (error) {
          return error as Error;
        }
      })();
      // One stamp for both: a change between the two lookups keeps neither.
      const stamp = cache.stamp();
      const [key, found] = await Promise.all([authenticate(bearer, stamp), request instanceof Error ? null : lookUp(request.model, stamp)]);
      // A bad key is reported before a bad request, and who may use which model only once the key is known.
      if (request instanceof Error) throw request;
      if (found instanceof Error) throw found;
      const served = checkServed(request.model, key, found);
      return begin({ served, request, caller: { key }, startedAt }, signal);
    },

    /**
     * A signed-in user trying an agent in the console's playground, without
     * an agent key: the caller has checked that they may read `agentId`.
     * `version` picks a published version (number or id); the served one
     * otherwise. Usage is recorded as the playground's, under the user.
     */
    async playground(agentId: string, userId: string | null, body: unknown, signal: AbortSignal): Promise<Completion> {
      const startedAt = performance.now();
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badParam('body', 'the request body must be a JSON object with "messages"');
      const { version: rawVersion, model: _model, ...rest } = body as Record<string, unknown>;
      const version = rawVersion === undefined || rawVersion === null ? undefined : versionRefSchema.safeParse(rawVersion);
      if (version && !version.success) throw badParam('version', 'body.version must be a version number (1, 2, …) or a version id ("agv_…")', 'invalid_value');
      const request = parseChatRequest({ ...rest, model: agentId }, limits);
      const served = await agents.served(agentId, version?.data);
      if (!served) {
        throw notFound({
          code: 'version_not_found',
          message: version ? `agent ${agentId} has no version ${String(rawVersion)}` : `agent ${agentId} has no published version yet: publish it to try it here`,
        });
      }
      return begin({ served, request, caller: { userId }, startedAt }, signal);
    },
  };

  /** Who asked: an agent key (its limits apply) or a console user in the playground. */
  type Asker = { key: AgentKey } | { userId: string | null };

  async function begin(
    { served, request, caller, startedAt }: { served: ServedAgent; request: ChatRequest; caller: Asker; startedAt: number },
    signal: AbortSignal,
  ): Promise<Completion> {
    const { agent, version } = served;
    const key = 'key' in caller ? caller.key : null;
    const config = version.config;
    const maxTokens = Math.min(request.maxTokens ?? config.generation.maxTokens, config.generation.maxTokens);

    const estimate = countMessageTokens(request.messages) + maxTokens;
    const admission = key ? limiter.admit(key.id, { rpm: key.rpm, tpm: key.tpm }, estimate) : playgroundLimiter.admit(`user:${'userId' in caller ? caller.userId : ''}`, PLAYGROUND_LIMITS, estimate);
    if (!admission.allowed) {
      const limitsOf = key ?? PLAYGROUND_LIMITS;
      const which = admission.exceeded === 'requests' ? `requests per minute (limit ${limitsOf.rpm})` : `tokens per minute (limit ${limitsOf.tpm}, this request needs up to ${estimate})`;
      const whose = key ? `key ${key.prefix}…` : 'your playground';
      throw new RateLimitedError(`Rate limit reached for ${whose} on ${which}; retry in ${admission.retryAfterSeconds} s`, admission.headers, admission.retryAfterSeconds);
    }
    if (key) touch(key.id);

    const provider = providers[config.provider.kind];
    if (!provider) {
      admission.settle(0);
      throw unavailable({ code: 'provider_unavailable', message: `agent ${agent.name} uses the ${config.provider.kind} provider, which this deployment does not offer` });
    }

    let passages: PromptPassage[] = [];
    let release = () => {};
    let warmed: Warmed | undefined;
    try {
      ({ passages, release, warmed } = await retrieveAndTakeSlot(config, provider, request, maxTokens, signal));
    } catch (error) {
      admission.settle(0);
      throw error;
    }
    const prompt = buildPrompt(config.systemPrompt, passages, request.messages);
    const shortenable = shortenableMessages(config.systemPrompt, passages, request.messages);

    const completion: Completion = {
      id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
      created: Math.floor(Date.now() / 1000),
      model: `${agent.name}@${version.number}`,
      stream: request.stream,
      includeUsage: request.includeUsage,
      rateLimitHeaders: admission.headers,
      citations: citationsOf(passages),
      provider: config.provider.kind,
      outcome: null,
      async *deltas(signal) {
        let text = '';
        let firstTokenAt: number | null = null;
        let status: 'ok' | 'failed' | 'cancelled' = 'cancelled';
        let reported: CompletionOutcome['finishReason'] = 'stop';
        let measured: { promptTokens: number; completionTokens: number } | undefined;
        let shortened: PromptShortened | undefined;
        try {
          for await (const event of provider.generate({
            provider: config.provider,
            messages: prompt,
            passages,
            shortenable: shortenable.order,
            maxTokens,
            temperature: request.temperature ?? config.generation.temperature,
            topP: request.topP ?? config.generation.topP,
            stop: request.stop,
            signal,
            ...(warmed ? { warmed } : {}),
          })) {
            if (event.type === 'done') {
              reported = event.finishReason;
              measured = event.usage;
              if (event.shortened) {
                const { messages, fromStart } = event.shortened;
                const passagesTokens = shortenable.passages === null ? 0 : (messages[shortenable.passages] ?? 0);
                const all = Object.values(messages).reduce((sum, n) => sum + n, 0);
                shortened = { passagesTokens, conversationTokens: all - passagesTokens, fromStartTokens: fromStart };
                log.info({ agentId: agent.id, versionId: version.id, ...shortened }, 'the prompt was shortened to fit the model context');
              }
              status = 'ok';
              break;
            }
            firstTokenAt ??= performance.now();
            text += event.text;
            yield event.text;
          }
          if (signal.aborted) status = 'cancelled';
        } catch (error) {
          status = signal.aborted ? 'cancelled' : 'failed';
          throw error;
        } finally {
          release();
          // Counted only when the provider did not say: tokenizing the whole prompt takes milliseconds, after the answer rather than before it.
          const counted = measured ?? { promptTokens: countMessageTokens(prompt), completionTokens: countTokens(text) };
          completion.outcome = { finishReason: reported, ...counted, ...(shortened ? { promptShortened: shortened } : {}) };
          admission.settle(counted.promptTokens + counted.completionTokens);
          // Written beside the answer's last events rather than before them: the client's stream
          // ends without waiting for a database round trip, and `flush` waits for it on close.
          const recorded = usage
            .record({
              agentId: agent.id,
              versionId: version.id,
              keyId: key?.id ?? null,
              source: key ? 'api' : 'playground',
              userId: 'userId' in caller ? caller.userId : null,
              stream: request.stream,
              status,
              promptTokens: counted.promptTokens,
              completionTokens: counted.completionTokens,
              latencyMs: performance.now() - startedAt,
              timeToFirstTokenMs: firstTokenAt === null ? null : firstTokenAt - startedAt,
            })
            .catch((error) => log.error({ err: error, agentId: agent.id }, 'could not record usage'));
          recording.add(recorded);
          void recorded.finally(() => recording.delete(recorded));
        }
      },
    };
    return completion;
  }

  /**
   * The passages and a model slot, sought at once. Once the slot is held while retrieval still
   * runs, a provider that can starts reading the prompt's opening (the system prompt and the
   * passages' lead-in), so that the first token waits for retrieval and the passages' tokens
   * rather than for the whole prompt. Whichever of the two fails first is the error, and the
   * other is given up.
   */
  async function retrieveAndTakeSlot(
    config: ServedAgent['version']['config'],
    provider: ModelProvider,
    request: ChatRequest,
    maxTokens: number,
    signal: AbortSignal,
  ): Promise<{ passages: PromptPassage[]; release: () => void; warmed?: Warmed }> {
    const modelSlots = slots[config.provider.kind];
    if (!config.knowledgeBaseIds.length) return { passages: [], release: (await modelSlots?.acquire(signal)) ?? (() => {}) };
    const question = request.messages.filter((m) => m.role === 'user').at(-1)!.content;
    const cancel = new AbortController();
    const giveUp = () => cancel.abort(signal.reason);
    signal.addEventListener('abort', giveUp, { once: true });
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown) => {
      failure ??= { error };
      cancel.abort(error);
      throw error;
    };
    let retrieved = false;
    let warmed: Warmed | undefined;
    const retrieval = knowledge.search(question.slice(0, 2000), config.knowledgeBaseIds, config.retrieval.topK, cancel.signal).then((found) => {
      retrieved = true;
      return fitPassages(found, config.retrieval.maxContextTokens);
    }, fail);
    const slot = (modelSlots ? modelSlots.acquire(cancel.signal) : Promise.resolve(() => {})).then((release) => {
      if (!retrieved && !cancel.signal.aborted && provider.warm) {
        warmed = provider.warm({ provider: config.provider, opening: promptOpening(config.systemPrompt), maxTokens });
      }
      return release;
    }, fail);
    const [passages, release] = await Promise.allSettled([retrieval, slot]);
    signal.removeEventListener('abort', giveUp);
    if (failure || passages.status === 'rejected' || release.status === 'rejected') {
      warmed?.release();
      if (release.status === 'fulfilled') release.value();
      throw failure ? failure.error : passages.status === 'rejected' ? passages.reason : (release as PromiseRejectedResult).reason;
    }
    return { passages: passages.value, release: release.value, ...(warmed ? { warmed } : {}) };
  }

  return service;
}
