import { upstreamFailed, upstreamTimeout } from '@llmp/core';
import type { GenerationEvent, GenerationRequest, ModelProvider } from './provider';

export interface OpenAiUpstreamOptions {
  /** Base URL of the OpenAI-compatible API, with its `/v1`: `http://vllm:8000/v1`. */
  baseUrl: string;
  apiKey?: string;
  /** Longest silence allowed from the upstream: before its answer starts, and between streamed chunks. */
  idleTimeoutMs?: number;
}

interface UpstreamChunk {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

/** Data lines of a server-sent event stream, as they complete. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.search(/\r?\n/)) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + (buffered[end] === '\r' ? 2 : 1));
      if (line.startsWith('data:')) yield line.slice(5).trimStart();
    }
  }
}

/**
 * An OpenAI-compatible server (vLLM, Ollama, LiteLLM, OpenAI) as the model:
 * the prompt is sent as chat messages with `stream: true` and its chunks
 * are passed on as they arrive. A silent upstream is a 504, a failing one
 * a 502, and a client that leaves closes the upstream request.
 */
export function createOpenAiUpstreamProvider({ baseUrl, apiKey, idleTimeoutMs = 30_000 }: OpenAiUpstreamOptions): ModelProvider {
  const url = `${baseUrl.endsWith('/') ? baseUrl.slice(0, -1) : baseUrl}/chat/completions`;
  return {
    kind: 'openai',
    async *generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
      if (request.provider.kind !== 'openai') throw new Error(`the upstream provider cannot serve a ${request.provider.kind} agent`);
      const idle = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(new Error('idle')), idleTimeoutMs);
      };
      const signal = AbortSignal.any([request.signal, idle.signal]);
      const timedOut = () => upstreamTimeout({ code: 'provider_timeout', message: `the model upstream sent nothing for ${idleTimeoutMs} ms` });
      arm();
      try {
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
            body: JSON.stringify({
              model: request.provider.model,
              messages: request.messages,
              stream: true,
              stream_options: { include_usage: true },
              max_tokens: request.maxTokens,
              temperature: request.temperature,
              top_p: request.topP,
              ...(request.stop.length ? { stop: request.stop } : {}),
            }),
            signal,
          });
        } catch (error) {
          if (request.signal.aborted) return;
          if (idle.signal.aborted) throw timedOut();
          throw upstreamFailed({ code: 'provider_unavailable', message: `the model upstream is not reachable (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message})` });
        }
        if (res.status !== 200 || !res.body) {
          const text = await res.text().catch(() => '');
          let reason = `status ${res.status}`;
          try {
            reason = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? reason;
          } catch {
            // Not JSON: the status says enough.
          }
          throw upstreamFailed({ code: 'provider_failed', message: `the model upstream refused the request: ${reason}` });
        }
        let finishReason: 'stop' | 'length' = 'stop';
        let usage: { promptTokens: number; completionTokens: number } | undefined;
        try {
          for await (const data of sseData(res.body)) {
            arm();
            if (data === '[DONE]') break;
            const chunk = JSON.parse(data) as UpstreamChunk;
            const choice = chunk.choices?.[0];
            if (choice?.delta?.content) yield { type: 'delta', text: choice.delta.content };
            if (choice?.finish_reason === 'length') finishReason = 'length';
            if (chunk.usage?.prompt_tokens !== undefined && chunk.usage.completion_tokens !== undefined) {
              usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
            }
          }
        } catch (error) {
          if (request.signal.aborted) return;
          if (idle.signal.aborted) throw timedOut();
          throw upstreamFailed({ code: 'provider_failed', message: `the model upstream broke off its answer (${(error as Error).message})` });
        }
        yield { type: 'done', finishReason, usage };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
