import { once } from 'node:events';
import type { Express, Request, Response } from 'express';
import type { Logger } from '@llmp/core';
import { mountOpenAiErrors as mountOpenAiErrorsAt, openAiError as openAiErrorOf, route, type OpenAiErrorOptions, type RouteSpec } from '@llmp/http';
import type { ServedAgent } from '../agents/agent.store';
import type { AgentsService } from '../agents/agents.service';
import { paced } from './paced';
import { INVALID_API_KEY, RateLimitedError, type Completion, type ServingService } from './serving.service';

/** The OpenAI-compatible API's path prefix. */
export const OPENAI_PREFIX = '/v1';

function bearerOf(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function modelOf({ agent, version }: ServedAgent) {
  return { id: agent.name, object: 'model', created: Math.floor(new Date(version.createdAt).getTime() / 1000), owned_by: 'llmp', agent_id: agent.id, version: version.number };
}

/**
 * Extension fields beside OpenAI's: `citations` (the passages the answer
 * drew on; `[n]` in the text is `citations[n-1]`), and `llmp` (which
 * provider answered, whether it only quoted passages, and, when the prompt
 * was too long for the model's context, how many tokens of it gave way).
 */
function extensions(completion: Completion) {
  const shortened = completion.outcome?.promptShortened;
  return {
    citations: completion.citations,
    llmp: {
      provider: completion.provider,
      extractive: completion.provider === 'extractive',
      ...(shortened
        ? { prompt_shortened: { passages_tokens: shortened.passagesTokens, conversation_tokens: shortened.conversationTokens, from_start_tokens: shortened.fromStartTokens } }
        : {}),
    },
  };
}

/** Ends the generation when the client goes away before the answer is complete. */
function abortOnClose(res: Response): AbortController {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('the client closed the connection'));
  });
  return abort;
}

async function answerWhole(completion: Completion, signal: AbortSignal) {
  let content = '';
  for await (const delta of completion.deltas(signal)) content += delta;
  if (signal.aborted) return undefined;
  const outcome = completion.outcome!;
  return {
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model,
    system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: outcome.finishReason }],
    usage: { prompt_tokens: outcome.promptTokens, completion_tokens: outcome.completionTokens, total_tokens: outcome.promptTokens + outcome.completionTokens },
    ...extensions(completion),
  };
}

/** How streamed answers are sent: `intervalMs` between content events at most (see `paced`). */
export interface StreamOptions {
  intervalMs: number;
}

/** Small CPU models emit a token every millisecond or two; 15 ms joins those into about 60 events a second, below what a reader notices. */
export const DEFAULT_STREAM_OPTIONS: StreamOptions = { intervalMs: 15 };

async function streamAnswer(completion: Completion, res: Response, signal: AbortSignal, log: Logger, { intervalMs }: StreamOptions): Promise<void> {
  // Each event goes out as soon as it is written, not held back to fill a segment.
  res.socket?.setNoDelay(true);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  const send = async (event: string) => {
    if (signal.aborted) return;
    if (!res.write(event)) await once(res, 'drain', { signal }).catch(() => undefined);
  };
  const write = (data: unknown) => send(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (choices: unknown[], extra: object = {}) => ({
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
    system_fingerprint: null,
    choices,
    ...extra,
  });
  await write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
  // A content event is the same JSON every time but for the text: only the text is serialised per token.
  const head = `data: ${JSON.stringify(chunk([{ index: 0, delta: { content: '' }, logprobs: null, finish_reason: null }]))}`;
  const at = head.indexOf('"content":""') + '"content":'.length;
  const [before, after] = [head.slice(0, at), `${head.slice(at + 2)}\n\n`];
  try {
    for await (const delta of paced(completion.deltas(signal), intervalMs)) await send(before + JSON.stringify(delta) + after);
  } catch (error) {
    // The status line is gone: like OpenAI, the error travels as the stream's last event.
    if (!signal.aborted) {
      const { body } = openAiError(error, log);
      await write(body);
      res.end();
    }
    return;
  }
  if (signal.aborted) return;
  const outcome = completion.outcome!;
  // The closing events are ready together and leave in one write, which every hop forwards as one.
  const closing = [chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: outcome.finishReason }], extensions(completion))];
  if (completion.includeUsage) {
    closing.push(chunk([], { usage: { prompt_tokens: outcome.promptTokens, completion_tokens: outcome.completionTokens, total_tokens: outcome.promptTokens + outcome.completionTokens } }));
  }
  res.end(`${closing.map((data) => `data: ${JSON.stringify(data)}\n\n`).join('')}data: [DONE]\n\n`);
}

/**
 * `/v1`: OpenAI's chat completions and models, opened by agent keys. The
 * gateway passes an agent key through together with a signed identity of
 * its own, so the route still needs a caller that came through it.
 */
export function openAiRoutes(serving: ServingService, log: Logger, stream: StreamOptions = DEFAULT_STREAM_OPTIONS): RouteSpec[] {
  const tag = 'openai';
  return [
    route({
      method: 'get',
      path: `${OPENAI_PREFIX}/models`,
      tag,
      summary: 'OpenAI-compatible: the published agent your agent key opens, as a model',
      access: 'user',
      handle: async ({ req }) => ({ object: 'list', data: (await serving.models(bearerOf(req))).map(modelOf) }),
    }),
    route({
      method: 'post',
      path: `${OPENAI_PREFIX}/chat/completions`,
      tag,
      summary: 'OpenAI-compatible chat completions (stream or not) from an agent: "model" is its name or id, optionally @version; answers carry "citations"',
      access: 'user',
      handle: async ({ req, res }) => {
        const abort = abortOnClose(res);
        const completion = await serving.start(bearerOf(req), req.body, abort.signal);
        for (const [name, value] of Object.entries(completion.rateLimitHeaders)) res.setHeader(name, value);
        if (!completion.stream) return answerWhole(completion, abort.signal);
        await streamAnswer(completion, res, abort.signal, log, stream);
        return undefined;
      },
    }),
  ];
}

/**
 * The console's playground: a signed-in user who may read an agent chats
 * with its published versions through the same serving path as `/v1`, with
 * no agent key in the browser. Usage is recorded as the playground's.
 */
export function playgroundRoutes(agents: AgentsService, serving: ServingService, log: Logger, stream: StreamOptions = DEFAULT_STREAM_OPTIONS): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/agents/:id/chat',
      tag: 'agents',
      summary: 'Chat with a published version of an agent you may read (the console playground): OpenAI chat fields without "model", optional "version"; streams over SSE like /v1 and answers carry "citations"',
      access: 'user',
      handle: async ({ params, identity, req, res }) => {
        const agent = await agents.get(params.id, identity!);
        const abort = abortOnClose(res);
        const completion = await serving.playground(agent.id, identity!.userId, req.body, abort.signal);
        if (!completion.stream) return answerWhole(completion, abort.signal);
        await streamAnswer(completion, res, abort.signal, log, stream);
        return undefined;
      },
    }),
  ];
}

/** A bad API key is the caller's 401, and a rate limit carries its headers, in OpenAI's error shape. */
const OPENAI_ERROR_OPTIONS: OpenAiErrorOptions = {
  overrides: (error) => ({ status: error.code === INVALID_API_KEY ? 401 : undefined, headers: error instanceof RateLimitedError ? error.headers : undefined }),
};

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function openAiError(error: unknown, log: Logger) {
  return openAiErrorOf(error, log, OPENAI_ERROR_OPTIONS);
}

/** After the routes: unknown `/v1` paths and every `/v1` error answer in OpenAI's shape. */
export function mountOpenAiErrors(app: Express, log: Logger): void {
  mountOpenAiErrorsAt(app, OPENAI_PREFIX, log, OPENAI_ERROR_OPTIONS);
}
