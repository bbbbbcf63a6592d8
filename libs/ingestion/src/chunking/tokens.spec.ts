import { countTokens as exact } from 'gpt-tokenizer';
import { prose } from '../testing/text-generator';
import { countTokens, TextTokens } from './tokens';

const AS_TEXT = { disallowedSpecial: new Set<string>() };

describe('token counting', () => {
  it('equals the tokenizer on ordinary text, special-token spellings included', () => {
    const text = 'The depot opens at seven. <|endoftext|> Drivers rotate every fortnight.\n\n'.repeat(40);
    expect(countTokens(text)).toBe(exact(text, AS_TEXT));
    expect(countTokens('')).toBe(0);
  });

  it('counts very long runs of spaces or of one word in blocks, within one token per block of the tokenizer', () => {
    for (const text of [`#${' '.repeat(3000)}\u2028\n\nThe body.`, `data:${'QUJD'.repeat(5000)} end`, `${'x'.repeat(2000)} ${' '.repeat(300)}y`]) {
      const blocks = Math.ceil(text.length / 128);
      expect(Math.abs(countTokens(text) - exact(text, AS_TEXT))).toBeLessThanOrEqual(blocks);
    }
  });
});

describe('TextTokens', () => {
  it('counts any span of a document exactly as counting its text alone would', () => {
    const text = [
      prose({ paragraphs: 6, seed: 11 }).join('\n\n'),
      'Hello, "world".\n\n  - item 1.\n\tcode();  x  \u2028 y\n\n\n 123456 abc\'s DEF\'LL 😀 中文字符 <|endoftext|> end.',
      `#${' '.repeat(600)}\u2028\n\nThe body. data:${'QUJD'.repeat(300)} end`,
    ].join('\n\n');
    const tokens = new TextTokens(text);
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 3000; i++) {
      const start = Math.floor(random() * text.length);
      const end = start + Math.floor(random() * Math.min(600, text.length - start + 1));
      expect([start, end, tokens.count(start, end)]).toEqual([start, end, countTokens(text.slice(start, end))]);
    }
    expect(tokens.count(0, text.length)).toBe(countTokens(text));
  });
});
