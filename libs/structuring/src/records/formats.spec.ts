import { detectRecordFormat, parseRecord, toAlpaca, toOpenAiChat, toShareGpt } from './formats';
import { describeIssue, type ChatRecord } from './record';

const chat: ChatRecord = {
  messages: [
    { role: 'system', content: 'You answer briefly.' },
    { role: 'user', content: 'What is 2 + 2?' },
    { role: 'assistant', content: '4', weight: 0 },
    { role: 'user', content: 'And 3 + 3?' },
    { role: 'assistant', content: '6', weight: 1 },
  ],
};

describe('parseRecord', () => {
  it('reads OpenAI chat records with their per-message weights', () => {
    expect(parseRecord(chat)).toEqual({ record: chat, format: 'openai-chat' });
  });

  it('reads alpaca records as a user turn (instruction, blank line, input) and an assistant turn', () => {
    expect(parseRecord({ instruction: 'Translate', input: 'chat', output: 'cat', system: 'Be exact.' })).toEqual({
      format: 'alpaca',
      record: {
        messages: [
          { role: 'system', content: 'Be exact.' },
          { role: 'user', content: 'Translate\n\nchat' },
          { role: 'assistant', content: 'cat' },
        ],
      },
    });
  });

  it('reads alpaca history as earlier turns', () => {
    const parsed = parseRecord({ instruction: 'q2', output: 'a2', history: [['q1', 'a1']] });
    expect(parsed).toEqual({
      format: 'alpaca',
      record: { messages: [{ role: 'user', content: 'q1' }, { role: 'assistant', content: 'a1' }, { role: 'user', content: 'q2' }, { role: 'assistant', content: 'a2' }] },
    });
  });

  it('reads sharegpt conversations, mapping human and gpt to user and assistant', () => {
    const parsed = parseRecord({ conversations: [{ from: 'system', value: 's' }, { from: 'human', value: 'hi' }, { from: 'gpt', value: 'hello' }] });
    expect(parsed).toEqual({
      format: 'sharegpt',
      record: { messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] },
    });
  });

  it('reads plain text records for continued pre-training', () => {
    expect(parseRecord({ text: 'Pumps need priming.' })).toEqual({ record: { text: 'Pumps need priming.' }, format: 'text' });
  });

  it('names the JSON path and the reason for every problem, as OpenAI does', () => {
    const parsed = parseRecord({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant' },
        { role: 'bot', content: 'x', weight: 2 },
      ],
    });
    expect('errors' in parsed && parsed.errors.map((e) => describeIssue(17, e))).toEqual([
      'line 17: messages[1].content is required',
      'line 17: messages[2].role must be one of system, user, assistant',
      'line 17: messages[2].weight must be 0 or 1',
    ]);
  });

  it('rejects values that are not objects, empty message lists and records of no known format', () => {
    expect(parseRecord([1, 2])).toEqual({ errors: [{ path: '', message: 'must be a JSON object' }] });
    expect(parseRecord({ messages: [] })).toEqual({ errors: [{ path: 'messages', message: 'must be a non-empty array' }] });
    expect(parseRecord({ messages: 'hi' })).toEqual({ errors: [{ path: 'messages', message: 'must be an array' }] });
    const unknown = parseRecord({ prompt: 'p', answer: 'a' });
    expect('errors' in unknown && unknown.errors[0].message).toMatch(/^matches no known format/);
  });

  it('checks every record against a forced format instead of detecting one', () => {
    expect(parseRecord({ text: 'x' }, 'alpaca')).toEqual({
      errors: [
        { path: 'instruction', message: 'is required' },
        { path: 'output', message: 'is required' },
      ],
    });
  });

  it('detects the format from the keys a record has', () => {
    expect([{ messages: [] }, { conversations: [] }, { instruction: '', output: '' }, { text: '' }, { other: 1 }, 'x'].map(detectRecordFormat)).toEqual([
      'openai-chat',
      'sharegpt',
      'alpaca',
      'text',
      null,
      null,
    ]);
  });
});

describe('converting out', () => {
  it('writes OpenAI chat with everything the record has, weights included', () => {
    expect(toOpenAiChat(chat)).toEqual({ value: chat });
    expect(toOpenAiChat({ text: 'x' })).toEqual({ skipped: 'a text record has no messages' });
  });

  it('writes alpaca with the system prompt, earlier turns as history and the last turn as instruction and output', () => {
    expect(toAlpaca(chat)).toEqual({ value: { system: 'You answer briefly.', instruction: 'And 3 + 3?', input: '', output: '6', history: [['What is 2 + 2?', '4']] } });
  });

  it('round-trips a conversation through alpaca, losing only the weights', () => {
    const back = parseRecord((toAlpaca(chat) as { value: unknown }).value);
    expect(back).toEqual({ format: 'alpaca', record: { messages: chat.messages.map(({ role, content }) => ({ role, content })) } });
  });

  it('skips conversations alpaca cannot hold', () => {
    const twoUsers: ChatRecord = { messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }] };
    expect(toAlpaca(twoUsers)).toEqual({ skipped: expect.stringContaining('alternating') });
    expect(toAlpaca({ text: 'x' })).toEqual({ skipped: expect.any(String) });
  });

  it('round-trips a conversation through sharegpt, losing only the weights', () => {
    const written = toShareGpt(chat);
    expect('value' in written && written.value.conversations.map((c) => c.from)).toEqual(['system', 'human', 'gpt', 'human', 'gpt']);
    expect(parseRecord((written as { value: unknown }).value)).toEqual({ format: 'sharegpt', record: { messages: chat.messages.map(({ role, content }) => ({ role, content })) } });
  });
});
