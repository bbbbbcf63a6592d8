import { encode } from 'gpt-tokenizer';
import type { AgentCitation } from '@llmp/contracts';
import type { Passage } from '../ingestion-client';
import type { ChatMessage } from './chat-request';
import type { PromptOpening } from './providers/provider';

export interface PromptPassage {
  /** `[n]` in the prompt and the answer. */
  index: number;
  passage: Passage;
}

/** Tokens as the platform counts them when a provider does not say (OpenAI's cl100k/o200k family). */
export const countTokens = (text: string): number => encode(text).length;

/**
 * The same passages come back for many questions, and tokenizing them is
 * most of the time spent between retrieval and generation (a 1,000-token
 * context takes milliseconds), so their counts are kept, for a bounded
 * number of texts, oldest dropped first.
 */
const PASSAGE_COUNTS_KEPT = 4096;
const passageCounts = new Map<string, number>();
export function countPassageTokens(text: string): number {
  let count = passageCounts.get(text);
  if (count === undefined) {
    count = countTokens(text);
    if (passageCounts.size >= PASSAGE_COUNTS_KEPT) passageCounts.delete(passageCounts.keys().next().value!);
    passageCounts.set(text, count);
  }
  return count;
}

export const countMessageTokens = (messages: ChatMessage[]): number =>
  // OpenAI's accounting: a few tokens of framing per message and for the reply's start.
  messages.reduce((sum, m) => sum + 4 + countTokens(m.content), 3);

/**
 * Best passages first, each kept whole, until the next would pass the
 * token budget; later (lower-ranked) passages that still fit are kept.
 */
export function fitPassages(passages: Passage[], maxTokens: number): PromptPassage[] {
  const chosen: PromptPassage[] = [];
  let used = 0;
  for (const passage of [...passages].sort((a, b) => b.score - a.score)) {
    const cost = countPassageTokens(passage.text) + 12;
    if (used + cost > maxTokens) continue;
    used += cost;
    chosen.push({ index: chosen.length + 1, passage });
  }
  return chosen;
}

function source(p: PromptPassage): string {
  const c = p.passage.citation;
  const where = [c.title, c.heading, c.page !== null ? `page ${c.page}` : null].filter(Boolean).join(' — ');
  return `[${p.index}] ${where}\n${p.passage.text}`;
}

/**
 * Where a prompt may give way when a model's context is too short for it, in the order it gives:
 * the numbered passages (the lowest-ranked come last, so they go first), then the conversation
 * before its last message, oldest first. The system prompt and the question are kept whole.
 */
export function shortenableMessages(systemPrompt: string, passages: PromptPassage[], conversation: ChatMessage[]): { passages: number | null; order: number[] } {
  const passagesAt = passages.length ? (systemPrompt.trim() ? 1 : 0) : null;
  const first = (systemPrompt.trim() ? 1 : 0) + (passages.length ? 1 : 0);
  const earlier = Array.from({ length: Math.max(0, conversation.length - 1) }, (_, i) => first + i);
  return { passages: passagesAt, order: passagesAt === null ? earlier : [passagesAt, ...earlier] };
}

/** How the passages' message begins, whatever the passages are. */
const PASSAGES_LEAD_IN = 'Answer from these numbered passages and cite them as [n]. If they do not hold the answer, say so.\n\n';

/** The system prompt, then the passages as a numbered context the model is told to cite, then the conversation. */
export function buildPrompt(systemPrompt: string, passages: PromptPassage[], conversation: ChatMessage[]): ChatMessage[] {
  const system: ChatMessage[] = [];
  if (systemPrompt.trim()) system.push({ role: 'system', content: systemPrompt });
  if (passages.length) system.push({ role: 'system', content: `${PASSAGES_LEAD_IN}${passages.map(source).join('\n\n')}` });
  return [...system, ...conversation];
}

/**
 * What `buildPrompt` will begin with before retrieval has found anything: the system prompt and the
 * passages' lead-in. Should retrieval find nothing, the lead-in is not in the prompt after all, and a
 * provider that read it reads the prompt again from where the two differ.
 */
export function promptOpening(systemPrompt: string): PromptOpening {
  const messages: ChatMessage[] = systemPrompt.trim() ? [{ role: 'system', content: systemPrompt }] : [];
  return { messages: [...messages, { role: 'system', content: PASSAGES_LEAD_IN }], continued: true };
}

export function citationsOf(passages: PromptPassage[]): AgentCitation[] {
  return passages.map(({ index, passage }) => ({
    index,
    documentId: passage.citation.documentId,
    knowledgeBaseId: passage.citation.knowledgeBaseId,
    title: passage.citation.title,
    filename: passage.citation.filename,
    page: passage.citation.page,
    pageEnd: passage.citation.pageEnd,
    heading: passage.citation.heading,
    startOffset: passage.citation.startOffset,
    endOffset: passage.citation.endOffset,
    score: passage.score,
    text: passage.text,
  }));
}
