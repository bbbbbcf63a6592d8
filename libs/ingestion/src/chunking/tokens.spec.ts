import { countTokens as exact } from 'gpt-tokenizer';
import { countTokens } from './tokens';

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
