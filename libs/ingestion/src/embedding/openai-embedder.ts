import { Agent, request, type Dispatcher } from 'undici';
import { sleep } from '@llmp/core';
import { EmbedderError, type Embedder } from './embedder';

export interface OpenAiEmbedderOptions {
  /** The API root including `/v1`, e.g. `http://ollama:11434/v1`; `/embeddings` is appended. */
  baseUrl: string;
  model: string;
  /** The dimension the model produces; answers of another size are refused. */
  dimension: number;
  apiKey?: string;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** Per request, covering connect, headers and body (default 30 000). */
  timeoutMs?: number;
  /** Retries of a request after the first try, for network faults, timeouts, 408/429/5xx (default 3). */
  maxRetries?: number;
  /** First backoff delay, doubled each retry with jitter (default 500). */
  retryBaseMs?: number;
  dispatcher?: Dispatcher;
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 30_000;

interface EmbeddingsResponse {
  data?: Array<{ index?: number; embedding?: unknown }>;
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    if (message) return message;
  } catch {
    // not JSON: show the start of the text
  }
  return body.slice(0, 200) || '(empty body)';
}

function retryAfterMs(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}

/**
 * The OpenAI `/v1/embeddings` protocol, which Ollama, vLLM, TEI, LocalAI
 * and llama.cpp's server speak: batched, each request bounded by a timeout,
 * transient failures retried with exponential backoff (and `Retry-After`).
 */
export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const { model, dimension, apiKey, batchSize = 64, timeoutMs = 30_000, maxRetries = 3, retryBaseMs = 500 } = options;
  let base = options.baseUrl;
  while (base.endsWith('/')) base = base.slice(0, -1);
  const url = `${base}/embeddings`;
  const dispatcher = options.dispatcher ?? new Agent({ connect: { timeout: Math.min(timeoutMs, 10_000) }, keepAliveTimeout: 30_000 });
  const name = `openai:${model}`;

  async function once(input: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number;
    let text: string;
    let headers: Record<string, string | string[] | undefined>;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher,
        signal: combined,
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify({ model, input, encoding_format: 'float' }),
      });
      status = res.statusCode;
      headers = res.headers;
      text = await res.body.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new EmbedderError(`embedding server ${url} failed: ${reason}`, { permanent: false, cause: error });
    }
    if (status !== 200) {
      const error = new EmbedderError(`embedding server ${url} answered ${status}: ${errorText(text)}`, {
        permanent: !RETRYABLE_STATUS.has(status),
        status,
      });
      (error as EmbedderError & { retryAfterMs?: number | null }).retryAfterMs = retryAfterMs(headers['retry-after']);
      throw error;
    }
    let body: EmbeddingsResponse;
    try {
      body = JSON.parse(text) as EmbeddingsResponse;
    } catch {
      throw new EmbedderError(`embedding server ${url} answered 200 with a body that is not JSON: ${text.slice(0, 100)}`, { permanent: false });
    }
    const data = body.data;
    if (!Array.isArray(data) || data.length !== input.length) {
      throw new EmbedderError(`embedding server ${url} returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${input.length} inputs`, {
        permanent: true,
      });
    }
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return ordered.map((item, i) => {
      const vector = item.embedding;
      if (!Array.isArray(vector) || !vector.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new EmbedderError(`embedding server ${url} returned a malformed embedding at index ${i}`, { permanent: true });
      }
      if (vector.length !== dimension) {
        throw new EmbedderError(
          `model "${model}" returned ${vector.length}-dimensional embeddings but ${dimension} were expected; pin the knowledge base to dimension ${vector.length}`,
          { permanent: true },
        );
      }
      return vector as number[];
    });
  }

  async function withRetries(input: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(input, signal);
      } catch (error) {
        if (!(error instanceof EmbedderError) || error.permanent || attempt >= maxRetries) throw error;
        const backoff = retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
        const told = (error as EmbedderError & { retryAfterMs?: number | null }).retryAfterMs;
        await sleep(told ?? backoff, signal);
      }
    }
  }

  return {
    name,
    dimension,
    async embed(texts, { signal } = {}) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        signal?.throwIfAborted();
        out.push(...(await withRetries(texts.slice(i, i + batchSize), signal)));
      }
      return out;
    },
  };
}
