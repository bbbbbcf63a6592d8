import { countTokens } from '../prompt';
import type { GenerationEvent, GenerationRequest, ModelProvider } from './provider';

/** How the answer says that it quotes rather than generates. */
export const EXTRACTIVE_LABEL = 'Extractive answer: quoted from the knowledge base, not written by a model.';
export const NO_PASSAGE_ANSWER = 'Extractive answer: no passage in the knowledge bases matches the question.';

const MAX_QUOTES = 3;

function quoteOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 600 ? `${flat.slice(0, 600).replace(/\s\S*$/, '')}…` : flat;
}

/**
 * The answer with no model at all: the best passages quoted with their
 * `[n]` markers, labelled as extractive, streamed a word at a time and cut
 * at the token limit.
 */
export function createExtractiveProvider(): ModelProvider {
  return {
    kind: 'extractive',
    async *generate({ passages, maxTokens, signal }: GenerationRequest): AsyncIterable<GenerationEvent> {
      const quotes = passages.slice(0, MAX_QUOTES).map((p) => {
        const c = p.passage.citation;
        const where = [c.title, c.heading].filter(Boolean).join(', ');
        return `[${p.index}] "${quoteOf(p.passage.text)}" (${where})`;
      });
      const answer = quotes.length ? `${EXTRACTIVE_LABEL}\n\n${quotes.join('\n\n')}` : NO_PASSAGE_ANSWER;
      let used = 0;
      for (const piece of answer.split(/(?=\s)/)) {
        if (signal.aborted) return;
        const cost = countTokens(piece);
        if (used + cost > maxTokens) {
          yield { type: 'done', finishReason: 'length' };
          return;
        }
        used += cost;
        yield { type: 'delta', text: piece };
      }
      yield { type: 'done', finishReason: 'stop' };
    },
  };
}
