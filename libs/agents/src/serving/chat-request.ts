import { z } from 'zod';
import { invalid } from '@llmp/core';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | null;
  temperature: number | null;
  topP: number | null;
  stop: string[];
}

export interface ChatRequestLimits {
  /** Most characters of message content in one request. */
  maxContentChars: number;
  maxMessages: number;
}

/** OpenAI parameters this API understands, beside those it refuses by name below. */
const ACCEPTED = new Set(['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'n', 'stop', 'user', 'metadata', 'store']);
/** OpenAI parameters an agent does not offer: refused by name rather than silently ignored. */
const UNSUPPORTED = new Set([
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'parallel_tool_calls',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'response_format',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'audio',
  'modalities',
  'prediction',
  'reasoning_effort',
  'service_tier',
  'web_search_options',
]);

/** A 400 in OpenAI's manner: the message says what is wrong, `param` names the field. */
export function badParam(param: string, message: string, code: string | null = null) {
  return invalid({ code: code ?? 'invalid_request', message, details: { param } });
}

const contentPart = z.object({ type: z.literal('text'), text: z.string() });
const messageSchema = z.object({
  role: z.string(),
  content: z.union([z.string(), z.array(contentPart)]).nullable().optional(),
  name: z.string().optional(),
});

const numberIn = (param: string, value: unknown, min: number, max: number): number | null => {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw badParam(param, `${param} must be a number between ${min} and ${max}; got ${JSON.stringify(value)}`, 'invalid_value');
  }
  return value;
};

/**
 * Checks a `/v1/chat/completions` body the way OpenAI does: every problem
 * is a 400 whose `param` names the field (`messages[2].role`), and a
 * parameter this API does not implement is refused rather than ignored.
 */
export function parseChatRequest(body: unknown, { maxContentChars, maxMessages }: ChatRequestLimits): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badParam('body', 'the request body must be a JSON object with "model" and "messages"');
  }
  const raw = body as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED.has(key)) throw badParam(key, `${key} is not supported by agents on this platform`, 'unsupported_parameter');
    if (!ACCEPTED.has(key)) throw badParam(key, `Unrecognized request argument supplied: ${key}`, 'unknown_parameter');
  }
  if (typeof raw.model !== 'string' || raw.model.trim() === '') throw badParam('model', 'you must provide a model parameter: an agent name or id, optionally with @version', 'missing_required_parameter');
  if (!Array.isArray(raw.messages)) throw badParam('messages', 'messages must be an array of {role, content} objects', 'missing_required_parameter');
  if (raw.messages.length === 0) throw badParam('messages', 'messages must not be empty', 'empty_array');
  if (raw.messages.length > maxMessages) throw badParam('messages', `messages may hold at most ${maxMessages} messages; got ${raw.messages.length}`, 'array_above_max_length');

  let chars = 0;
  const messages: ChatMessage[] = raw.messages.map((value, index) => {
    const param = `messages[${index}]`;
    const parsed = messageSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badParam([param, ...issue.path].join('.'), `${[param, ...issue.path].join('.')}: ${issue.message}`, 'invalid_type');
    }
    const { role, content } = parsed.data;
    const normalRole = role === 'developer' ? 'system' : role;
    if (normalRole !== 'system' && normalRole !== 'user' && normalRole !== 'assistant') {
      throw badParam(`${param}.role`, `${param}.role must be one of "system", "developer", "user" or "assistant"; got "${role}" (agents do not take tool or function messages)`, 'invalid_value');
    }
    const text = typeof content === 'string' ? content : (content ?? []).map((part) => part.text).join('');
    if (text.trim() === '' && normalRole !== 'assistant') throw badParam(`${param}.content`, `${param}.content must not be empty`, 'empty_string');
    chars += text.length;
    return { role: normalRole, content: text };
  });
  if (chars > maxContentChars) {
    throw badParam('messages', `the messages hold ${chars} characters; at most ${maxContentChars} are accepted in one request`, 'context_length_exceeded');
  }
  if (!messages.some((m) => m.role === 'user')) throw badParam('messages', 'messages must contain at least one message with role "user"', 'invalid_value');

  if (raw.n !== undefined && raw.n !== null && raw.n !== 1) throw badParam('n', `n must be 1: an agent gives one answer per request; got ${JSON.stringify(raw.n)}`, 'invalid_value');
  if (raw.stream !== undefined && raw.stream !== null && typeof raw.stream !== 'boolean') throw badParam('stream', 'stream must be true or false', 'invalid_type');
  const streamOptions = raw.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && (typeof streamOptions !== 'object' || Array.isArray(streamOptions))) {
    throw badParam('stream_options', 'stream_options must be an object', 'invalid_type');
  }
  if (streamOptions && raw.stream !== true) throw badParam('stream_options', 'stream_options is only allowed when stream is true', 'invalid_value');

  const maxTokens = numberIn('max_completion_tokens', raw.max_completion_tokens, 1, 1_000_000) ?? numberIn('max_tokens', raw.max_tokens, 1, 1_000_000);
  if (maxTokens !== null && !Number.isInteger(maxTokens)) throw badParam(raw.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens', 'must be a whole number', 'invalid_type');

  let stop: string[] = [];
  if (typeof raw.stop === 'string') stop = [raw.stop];
  else if (Array.isArray(raw.stop)) {
    if (raw.stop.length > 4 || raw.stop.some((s) => typeof s !== 'string' || s === '')) throw badParam('stop', 'stop must be a string or up to 4 non-empty strings', 'invalid_value');
    stop = raw.stop as string[];
  } else if (raw.stop !== undefined && raw.stop !== null) throw badParam('stop', 'stop must be a string or an array of strings', 'invalid_type');

  return {
    model: raw.model.trim(),
    messages,
    stream: raw.stream === true,
    includeUsage: (streamOptions as { include_usage?: unknown } | undefined)?.include_usage === true,
    maxTokens,
    temperature: numberIn('temperature', raw.temperature, 0, 2),
    topP: numberIn('top_p', raw.top_p, 0, 1),
    stop,
  };
}

/** `name`, `name@3` or `name@agv_…`: the agent and, optionally, a version other than the published one. */
export function parseModel(model: string): { agent: string; version?: number | string } {
  const at = model.lastIndexOf('@');
  if (at <= 0) return { agent: model };
  const agent = model.slice(0, at);
  const version = model.slice(at + 1);
  if (/^\d+$/.test(version)) return { agent, version: Number(version) };
  if (/^agv_[0-9a-z]+$/.test(version)) return { agent, version };
  throw badParam('model', `model "${model}": the part after @ must be a version number or a version id (agv_…)`, 'model_not_found');
}
