import type { Passage } from '../ingestion-client';
import { buildPrompt, shortenableMessages, type PromptPassage } from './prompt';

const passage = (text: string) => ({ index: 1, passage: { text, score: 1, citation: { title: 'Guide', heading: null, page: null } } as unknown as Passage }) satisfies PromptPassage;
const conversation = [
  { role: 'user' as const, content: 'first question' },
  { role: 'assistant' as const, content: 'first answer' },
  { role: 'user' as const, content: 'the question' },
];

describe('where a prompt gives way to a short context', () => {
  it('names the passages first, then the earlier turns, never the system prompt or the question', () => {
    const passages = [passage('a passage')];
    const messages = buildPrompt('Be brief.', passages, conversation);
    const { passages: at, order } = shortenableMessages('Be brief.', passages, conversation);
    expect(messages[at!].content).toContain('a passage');
    expect(order).toEqual([1, 2, 3]);
    expect(order.map((i) => messages[i].content)).toEqual([messages[1].content, 'first question', 'first answer']);
  });

  it('holds without a system prompt and without passages', () => {
    expect(shortenableMessages('', [passage('p')], conversation)).toEqual({ passages: 0, order: [0, 1, 2] });
    expect(shortenableMessages('  ', [], conversation)).toEqual({ passages: null, order: [0, 1] });
    expect(shortenableMessages('Be brief.', [], [{ role: 'user', content: 'only this' }])).toEqual({ passages: null, order: [] });
  });
});
