import { z } from 'zod';
import { invalid, upstreamFailed } from '@llmp/core';
import type { ChatRecord } from '../records/record';
import { EXTRACTIVE_QA, extractiveQa, type SourceChunk } from './extractive-qa';

/** Makes question/answer conversations from one chunk; `label` goes into the recipe. */
export interface QaGenerator {
  name: string;
  label: Record<string, unknown>;
  generate(chunk: SourceChunk, signal?: AbortSignal): Promise<ChatRecord[]>;
}

export function createExtractiveGenerator(): QaGenerator {
  return { name: EXTRACTIVE_QA.name, label: { ...EXTRACTIVE_QA }, generate: async (chunk) => extractiveQa(chunk) };
}

export interface ChatEndpointOptions {
  /** An OpenAI-compatible API base, e.g. `http://ollama:11434/v1`; `/chat/completions` is appended. */
  url: string;
  model: string;
  apiKey?: string;
  /** Longest wait for one answer (default 60 000). */
  timeoutMs?: number;
  /** Tries per chunk when the answer is not the JSON asked for (default 3). */
  maxAttempts?: number;
  questionsPerChunk?: number;
}

export const CHAT_ENDPOINT_GENERATOR = 'openai-compatible-chat';

const systemPrompt = (n: number) =>
  `You write question and answer pairs for fine-tuning a support assistant, from one passage of a document. ` +
  `Ask what a reader of the document would ask; answer only with facts stated in the passage. ` +
  `Reply with JSON only, no prose: {"pairs": [{"question": "...", "answer": "..."}]} with 1 to ${n} pairs.`;

const userPrompt = (chunk: SourceChunk) =>
  `Document: ${chunk.documentTitle}\nSection: ${chunk.headingPath.join(' > ') || '(none)'}\n\nPassage:\n${chunk.text}`;

const answerSchema = z.object({
  pairs: z.array(z.object({ question: z.string().trim().min(1), answer: z.string().trim().min(1) })).min(1),
});

/** The JSON object in a model's reply, fenced in ``` or not. */
function parseReply(content: unknown, max: number): ChatRecord[] | string {
  if (typeof content !== 'string') return 'the reply has no message content';
  let text = content.trim();
  if (text.startsWith('```')) text = text.replace(/^```(?:json)?/i, '');
  if (text.endsWith('```')) text = text.slice(0, -3);
  text = text.trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `the reply is not JSON: ${(error as Error).message}`;
  }
  const parsed = answerSchema.safeParse(value);
  if (!parsed.success) return `the reply is not {"pairs": [{"question", "answer"}]}: ${parsed.error.issues[0].path.join('.')} ${parsed.error.issues[0].message}`;
  return parsed.data.pairs.slice(0, max).map(({ question, answer }) => ({
    messages: [
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
    ],
  }));
}

/**
 * Question/answer pairs from a configured OpenAI-compatible chat endpoint,
 * asked for JSON at temperature 0; an answer that is not the JSON asked for
 * is asked again, up to `maxAttempts`. The prompts are in the label, so the
 * recipe says exactly how the records were made.
 */
export function createChatEndpointGenerator({ url, model, apiKey, timeoutMs = 60_000, maxAttempts = 3, questionsPerChunk = 3 }: ChatEndpointOptions): QaGenerator {
  let base = url;
  while (base.endsWith('/')) base = base.slice(0, -1);
  const endpoint = `${base}/chat/completions`;
  const system = systemPrompt(questionsPerChunk);
  return {
    name: CHAT_ENDPOINT_GENERATOR,
    label: { name: CHAT_ENDPOINT_GENERATOR, model, endpoint, temperature: 0, questionsPerChunk, maxAttempts, prompt: { system, user: userPrompt({ documentTitle: '{document title}', headingPath: ['{heading path}'], text: '{chunk text}' }) } },
    async generate(chunk, signal) {
      let problem = '';
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const timeout = AbortSignal.timeout(timeoutMs);
        let res: Response;
        try {
          res = await fetch(endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
            body: JSON.stringify({
              model,
              temperature: 0,
              response_format: { type: 'json_object' },
              messages: [
                { role: 'system', content: system },
                { role: 'user', content: userPrompt(chunk) },
              ],
            }),
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          });
        } catch (error) {
          if (signal?.aborted) throw error;
          problem = `the chat endpoint could not be reached: ${(error as Error).message}`;
          continue;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          throw invalid({ code: 'generator_refused', message: `the chat endpoint answered ${res.status}: ${(await res.text()).slice(0, 300)}` });
        }
        if (!res.ok) {
          problem = `the chat endpoint answered ${res.status}`;
          continue;
        }
        const body = (await res.json().catch(() => null)) as { choices?: Array<{ message?: { content?: unknown } }> } | null;
        const records = parseReply(body?.choices?.[0]?.message?.content, questionsPerChunk);
        if (typeof records !== 'string') return records;
        problem = records;
      }
      throw upstreamFailed({ code: 'generator_failed', message: `no usable answer from the chat endpoint after ${maxAttempts} attempts: ${problem}` });
    },
  };
}
