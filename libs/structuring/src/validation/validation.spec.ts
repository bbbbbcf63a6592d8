import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describeIssue, type ChatRecord } from '../records/record';
import { checkFreeze, createDatasetValidator, validateDataset } from './dataset-validator';
import { recordIssues } from './record-checks';
import { createTokenCounter } from './tokenizer';
import { asciiPieceEnd, createPieceMemo } from './ascii-pieces';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

const conversation = (answer: string, weight?: 0 | 1): ChatRecord => ({
  messages: [{ role: 'user', content: 'How do I prime the pump?' }, weight === undefined ? { role: 'assistant', content: answer } : { role: 'assistant', content: answer, weight }],
});

describe('createTokenCounter', () => {
  it('picks the encoding of the model family, and says when counts are an estimate', () => {
    expect(createTokenCounter({ model: 'gpt-4o-mini-2024-07-18' })).toMatchObject({ encoding: 'o200k_base', estimated: false, contextLength: 65_536 });
    expect(createTokenCounter({ model: 'gpt-3.5-turbo-0125' })).toMatchObject({ encoding: 'cl100k_base', estimated: false, contextLength: 16_385 });
    expect(createTokenCounter({ model: 'llama-3.1-8b' })).toMatchObject({ encoding: 'o200k_base', estimated: true });
    expect(createTokenCounter()).toMatchObject({ encoding: 'o200k_base', estimated: false, contextLength: 16_384 });
  });

  it('counts text like the tokenizer, and adds the chat framing per message', () => {
    const counter = createTokenCounter();
    const text = 'Open the bleed valve until water flows. <|endoftext|>';
    expect(counter.countText(text)).toBe(countTokens(text, { disallowedSpecial: new Set() }));
    const record = conversation('Fill the casing first.');
    expect(counter.countRecord(record)).toBe(3 + record.messages.reduce((n, m) => n + 3 + counter.countText(m.content), 0));
    expect(createTokenCounter({ encoding: 'cl100k_base' }).countText('ünïcödé téxt')).not.toBe(counter.countText('ünïcödé téxt'));
  });

  it('counts long and varied texts exactly as the library does, in both encodings', () => {
    let state = 17;
    const next = () => (state = (state * 16807) % 2147483647) / 2147483647;
    const pieces = [
      'valve', ' Valve', 'VALVE', "don't", "WE'LL", 'naïve', 'Ｆｕｌｌ', '日本語のテキスト', 'مرحبا', '😀', '🇩🇪', '12345678', '3.14159', '$1,234.56',
      '  ', '\n', '\r\n', '\n\n\n', '\t', '   \n  ', '<|endoftext|>', '<|im_start|>', 'https://example.com/a?b=c', 'snake_case_name', 'camelCaseName',
      '{"json": [1, 2]}', '...', '—', 'x', ' ', "'s", 'ß', 'İ', '\u0301e',
    ];
    const o200k = createTokenCounter();
    const cl100k = createTokenCounter({ encoding: 'cl100k_base' });
    for (let n = 0; n < 300; n++) {
      let text = '';
      for (let i = 0, length = 60 + Math.floor(next() * 200); i < length; i++) text += pieces[Math.floor(next() * pieces.length)] + (next() < 0.5 ? ' ' : '');
      expect([text, o200k.countText(text)]).toEqual([text, countTokens(text, { disallowedSpecial: new Set() })]);
      expect([text, cl100k.countText(text)]).toEqual([text, countCl100k(text, { disallowedSpecial: new Set() })]);
    }
  });
});

describe('the ASCII pre-tokenizer', () => {
  it('splits ASCII text into exactly the pieces of the o200k_base pattern', () => {
    const pattern = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, 'gu');
    let state = 5;
    const next = () => (state = (state * 16807) % 2147483647) / 2147483647;
    // Letters that start contractions, apostrophes, every kind of whitespace, slashes after symbols, control characters.
    const alphabet = ['a', 'z', 'A', 'Z', '0', '9', ' ', ' ', '\t', '\n', '\r', '\v', '\f', "'", "'", 's', 'S', 'l', 'L', 'v', 'e', 'E', 'r', 'R', 'd', 'm', 't', '.', ',', '/', '-', '_', '!', '\x00', '\x1f', '\x7f', '"'];
    const mismatches: string[] = [];
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      for (let i = 0, length = 1 + Math.floor(next() * 24); i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
      const pieces: string[] = [];
      for (let start = 0, end = 0; start < text.length; start = end) pieces.push(text.slice(start, (end = asciiPieceEnd(text, start, text.length))));
      if (JSON.stringify(pieces) !== JSON.stringify(text.match(pattern) ?? [])) mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
  });

  it('counts through its memo what the library counts, when pieces collide in the table and when it starts afresh', () => {
    const memo = createPieceMemo((piece) => countTokens(piece), 8);
    const text = "The pump's seal, the PUMP'S SEAL; 12345 pumps...\n\n  seals  ";
    for (let round = 0; round < 3; round++) {
      let tokens = 0;
      for (let start = 0, end = 0; start < text.length; start = end) tokens += memo(text, start, (end = asciiPieceEnd(text, start, text.length)));
      expect(tokens).toBe(countTokens(text));
    }
  });
});

describe('recordIssues', () => {
  it('accepts a conversation with an assistant answer', () => {
    expect(recordIssues(conversation('Fill it first.'))).toEqual([]);
  });

  it('asks for an assistant message with content, non-empty messages and weights only on assistant messages', () => {
    const record: ChatRecord = { messages: [{ role: 'user', content: ' ', weight: 1 }, { role: 'assistant', content: '' }] };
    expect(recordIssues(record).map((i) => describeIssue(3, i))).toEqual([
      'line 3: messages[0].content must not be empty',
      'line 3: messages[0].weight is only allowed on assistant messages, not on user',
      'line 3: messages[1].content must not be empty',
      'line 3: messages must contain at least one assistant message with content',
    ]);
  });

  it('refuses a conversation where every assistant message has weight 0', () => {
    expect(recordIssues(conversation('x', 0))).toEqual([{ path: 'messages', message: expect.stringContaining('weight 1') }]);
  });

  it('names the fields of the source format', () => {
    const fromAlpaca: ChatRecord = { messages: [{ role: 'user', content: 'Do it' }, { role: 'assistant', content: ' ' }] };
    expect(recordIssues(fromAlpaca, 'alpaca')).toEqual([
      { path: 'output', message: 'must not be empty' },
      { path: 'output', message: 'must contain at least one assistant message with content' },
    ]);
    expect(recordIssues(fromAlpaca, 'sharegpt')[0]).toEqual({ path: 'conversations[1].value', message: 'must not be empty' });
    expect(recordIssues({ text: '\n' })).toEqual([{ path: 'text', message: 'must not be empty' }]);
  });
});

describe('dataset validation', () => {
  it('lists the first 100 errors, counts all of them, and refuses to freeze', async () => {
    const lines = Array.from({ length: 250 }, (_, i) =>
      i % 2 ? JSON.stringify(conversation(`answer ${i}`)) : JSON.stringify({ messages: [{ role: 'robot', content: 'x' }, { role: 'assistant', content: 'y' }] }),
    );
    const report = await validateDataset([Buffer.from(lines.join('\n'))]);
    expect(report).toMatchObject({ examples: 250, valid: 125, invalid: 125, errorCount: 125, formats: { 'openai-chat': 125 } });
    expect(report.errors).toHaveLength(100);
    expect(describeIssue(report.errors[1].line, report.errors[1])).toBe('line 3: messages[0].role must be one of system, user, assistant');
    expect(report.freeze).toEqual({ ok: false, reason: '125 examples are invalid' });
  });

  it('counts tokens per example and warns about examples over the context length', () => {
    const validator = createDatasetValidator({ contextLength: 20 });
    const short = validator.check({ line: 1, record: conversation('Yes.'), format: 'openai-chat' });
    const long = validator.check({ line: 2, record: conversation('word '.repeat(40)), format: 'openai-chat' });
    expect(short?.tokens).toBeLessThan(20);
    expect(long?.tokens).toBeGreaterThan(20);
    const report = validator.report();
    expect(report.warningCount).toBe(1);
    expect(report.warnings[0]).toMatchObject({ line: 2, message: expect.stringMatching(/^has \d+ tokens, over the context length of 20/) });
    expect(report.tokens).toEqual({ total: short!.tokens + long!.tokens, max: long!.tokens, mean: Math.round((short!.tokens + long!.tokens) / 2) });
  });

  it('allows freezing only with at least the minimum number of valid examples', async () => {
    const nine = Array.from({ length: 9 }, (_, i) => JSON.stringify({ instruction: `q${i}`, output: `a${i}` })).join('\n');
    expect((await validateDataset([Buffer.from(nine)])).freeze).toEqual({ ok: false, reason: 'at least 10 examples are needed, there are 9' });
    expect((await validateDataset([Buffer.from(nine)], { minExamples: 9 })).freeze).toEqual({ ok: true });
    expect(checkFreeze({ valid: 10, invalid: 0 })).toEqual({ ok: true });
  });
});
