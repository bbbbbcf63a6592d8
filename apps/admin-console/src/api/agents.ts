import type { AgentCitation, AgentConfig, AgentVersion, PlaygroundChatInput } from '@llmp/contracts';
import { ApiError } from './client';

// Types only: the contracts' zod schemas stay out of the browser bundle.
export type { Agent, AgentCitation, AgentConfig, AgentKey, AgentProvider, AgentVersion, UsageSummaryRow, VersionDiffEntry } from '@llmp/contracts';

export const agentsKey = ['agents'] as const;

/** What a new agent starts from; the same defaults the API applies. */
export const DEFAULT_CONFIG: AgentConfig = {
  provider: { kind: 'extractive' },
  systemPrompt: '',
  knowledgeBaseIds: [],
  retrieval: { topK: 4, maxContextTokens: 1500 },
  generation: { temperature: 0.2, topP: 1, maxTokens: 256 },
};

export interface VersionDiff {
  from: number;
  to: number;
  changes: Array<{ field: string; from: unknown; to: unknown }>;
}

export type VersionList = { data: AgentVersion[] };

export interface ChatOutcome {
  text: string;
  citations: AgentCitation[];
  model: string;
}

export interface StreamChatOptions {
  token: string;
  agentId: string;
  input: PlaygroundChatInput;
  /** Each piece of the answer as it arrives. */
  onDelta: (text: string) => void;
  signal?: AbortSignal;
  onUnauthorized?: () => void;
}

/** One `data:` event of the answer: an OpenAI chunk, or an error once the stream has started. */
interface StreamEvent {
  model?: string;
  choices?: Array<{ delta?: { content?: string } }>;
  citations?: AgentCitation[];
  error?: { message: string; code?: string | null };
}

/**
 * Chats with an agent in the playground over server-sent events (fetch reads
 * the stream; EventSource cannot send a body or a bearer token).
 */
export async function streamChat({ token, agentId, input, onDelta, signal, onUnauthorized }: StreamChatOptions): Promise<ChatOutcome> {
  const res = await fetch(`/api/agents/${encodeURIComponent(agentId)}/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ ...input, stream: true }),
    signal,
  });
  if (!res.ok || !res.body) {
    if (res.status === 401) onUnauthorized?.();
    const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError({ status: res.status, code: body?.error?.code ?? 'http_error', message: body?.error?.message ?? `${res.status} ${res.statusText}` });
  }
  const outcome: ChatOutcome = { text: '', citations: [], model: '' };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data || data === '[DONE]') continue;
      const event = JSON.parse(data) as StreamEvent;
      if (event.error) throw new ApiError({ status: 500, code: event.error.code ?? 'stream_error', message: event.error.message });
      if (event.model) outcome.model = event.model;
      const delta = event.choices?.[0]?.delta?.content;
      if (delta) {
        outcome.text += delta;
        onDelta(delta);
      }
      if (event.citations) outcome.citations = event.citations;
    }
  }
  return outcome;
}

/** `2026-01-31`, the UTC day `days` before today. */
export function utcDay(daysAgo = 0): string {
  return new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
}
