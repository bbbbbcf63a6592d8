import { z } from 'zod';
import {
  CHAT_ROLES,
  formatPath,
  isChatRecord,
  type ChatMessage,
  type ChatRecord,
  type DatasetRecord,
  type RecordFormat,
  type RecordIssue,
} from './record';

/** "is required" when the key is absent, "must be …" when it has the wrong type or value. */
const expect = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`),
});
const text = () => z.string(expect('a string'));

const chatMessageSchema = z.object(
  {
    role: z.enum(CHAT_ROLES, expect(`one of ${CHAT_ROLES.join(', ')}`)),
    content: text(),
    weight: z.union([z.literal(0), z.literal(1)], expect('0 or 1')).optional(),
  },
  expect('an object'),
);

export const openAiChatSchema = z.object({
  messages: z.array(chatMessageSchema, expect('an array')).min(1, { error: 'must be a non-empty array' }),
});

export const alpacaSchema = z.object({
  instruction: text(),
  input: text().optional(),
  output: text(),
  system: text().optional(),
  /** Earlier turns as [instruction, response] pairs, as LLaMA-Factory's alpaca format has them. */
  history: z.array(z.tuple([text(), text()], expect('an [instruction, response] pair')), expect('an array')).optional(),
});

const SHAREGPT_ROLES = { system: 'system', human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant' } as const;

export const shareGptSchema = z.object({
  conversations: z
    .array(
      z.object(
        {
          from: z.enum(Object.keys(SHAREGPT_ROLES) as [keyof typeof SHAREGPT_ROLES], expect('one of system, human, gpt')),
          value: text(),
        },
        expect('an object'),
      ),
      expect('an array'),
    )
    .min(1, { error: 'must be a non-empty array' }),
  system: text().optional(),
});

export const textSchema = z.object({ text: text() });

export type OpenAiChatRecord = z.infer<typeof openAiChatSchema>;
export type AlpacaRecord = z.infer<typeof alpacaSchema>;
export type ShareGptRecord = z.infer<typeof shareGptSchema>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The format a parsed JSON value is written in, from its keys; null when it has none of them. */
export function detectRecordFormat(value: unknown): RecordFormat | null {
  if (!isObject(value)) return null;
  if ('messages' in value) return 'openai-chat';
  if ('conversations' in value) return 'sharegpt';
  if ('instruction' in value || 'output' in value) return 'alpaca';
  if ('text' in value) return 'text';
  return null;
}

export type ParsedRecord = { record: DatasetRecord; format: RecordFormat } | { errors: RecordIssue[] };

function issuesOf(error: z.ZodError): RecordIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Checks a parsed JSON value against its format (given, or detected from its
 * keys) and converts it to the internal shape.
 */
export function parseRecord(value: unknown, format: RecordFormat | 'auto' = 'auto'): ParsedRecord {
  if (!isObject(value)) return { errors: [{ path: '', message: 'must be a JSON object' }] };
  const chosen = format === 'auto' ? detectRecordFormat(value) : format;
  switch (chosen) {
    case 'openai-chat': {
      const parsed = openAiChatSchema.safeParse(value);
      return parsed.success ? { record: fromOpenAiChat(parsed.data), format: chosen } : { errors: issuesOf(parsed.error) };
    }
    case 'alpaca': {
      const parsed = alpacaSchema.safeParse(value);
      return parsed.success ? { record: fromAlpaca(parsed.data), format: chosen } : { errors: issuesOf(parsed.error) };
    }
    case 'sharegpt': {
      const parsed = shareGptSchema.safeParse(value);
      return parsed.success ? { record: fromShareGpt(parsed.data), format: chosen } : { errors: issuesOf(parsed.error) };
    }
    case 'text': {
      const parsed = textSchema.safeParse(value);
      return parsed.success ? { record: { text: parsed.data.text }, format: chosen } : { errors: issuesOf(parsed.error) };
    }
    default:
      return {
        errors: [{ path: '', message: 'matches no known format: expected "messages" (OpenAI chat), "conversations" (sharegpt), "instruction" and "output" (alpaca) or "text"' }],
      };
  }
}

function fromOpenAiChat(value: OpenAiChatRecord): ChatRecord {
  return {
    messages: value.messages.map((m) => (m.weight === undefined ? { role: m.role, content: m.content } : { role: m.role, content: m.content, weight: m.weight })),
  };
}

/** Instruction and input become one user message, separated by a blank line: the split between them is not kept. */
function fromAlpaca(value: AlpacaRecord): ChatRecord {
  const messages: ChatMessage[] = [];
  if (value.system) messages.push({ role: 'system', content: value.system });
  for (const [instruction, response] of value.history ?? []) {
    messages.push({ role: 'user', content: instruction }, { role: 'assistant', content: response });
  }
  messages.push({ role: 'user', content: value.input ? `${value.instruction}\n\n${value.input}` : value.instruction });
  messages.push({ role: 'assistant', content: value.output });
  return { messages };
}

function fromShareGpt(value: ShareGptRecord): ChatRecord {
  const messages: ChatMessage[] = value.system ? [{ role: 'system', content: value.system }] : [];
  for (const turn of value.conversations) messages.push({ role: SHAREGPT_ROLES[turn.from], content: turn.value });
  return { messages };
}

/** Why a record cannot be written in a format, or the written record. */
export type Converted<T> = { value: T } | { skipped: string };

/** OpenAI chat keeps everything the internal shape has; text records have no conversation to write. */
export function toOpenAiChat(record: DatasetRecord): Converted<OpenAiChatRecord> {
  if (!isChatRecord(record)) return { skipped: 'a text record has no messages' };
  return { value: { messages: record.messages.map((m) => ({ ...m })) } };
}

/**
 * Alpaca holds an optional system prompt, then user/assistant turns: the last
 * pair becomes instruction/output, earlier pairs `history`. Lossy: weights are
 * dropped and `input` is always empty (the instruction carries the whole user turn).
 */
export function toAlpaca(record: DatasetRecord): Converted<AlpacaRecord> {
  if (!isChatRecord(record)) return { skipped: 'a text record has no instruction and output' };
  const turns = record.messages[0]?.role === 'system' ? record.messages.slice(1) : record.messages;
  if (turns.length < 2 || turns.length % 2 !== 0) return { skipped: 'alpaca needs alternating user and assistant messages, ending with the assistant' };
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < turns.length; i += 2) {
    if (turns[i].role !== 'user' || turns[i + 1].role !== 'assistant') {
      return { skipped: 'alpaca needs alternating user and assistant messages, ending with the assistant' };
    }
    pairs.push([turns[i].content, turns[i + 1].content]);
  }
  const [instruction, output] = pairs[pairs.length - 1];
  const value: AlpacaRecord = { instruction, input: '', output };
  if (record.messages[0].role === 'system') value.system = record.messages[0].content;
  if (pairs.length > 1) value.history = pairs.slice(0, -1);
  return { value };
}

const TO_SHAREGPT = { system: 'system', user: 'human', assistant: 'gpt' } as const;

/** Sharegpt keeps every turn and its role; lossy only in that weights are dropped. */
export function toShareGpt(record: DatasetRecord): Converted<{ conversations: Array<{ from: 'system' | 'human' | 'gpt'; value: string }> }> {
  if (!isChatRecord(record)) return { skipped: 'a text record has no conversation' };
  return { value: { conversations: record.messages.map((m) => ({ from: TO_SHAREGPT[m.role], value: m.content })) } };
}
