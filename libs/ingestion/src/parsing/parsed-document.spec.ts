import { DocumentBuilder, normalizeProse } from './parsed-document';

/** The definition `normalizeProse` keeps, step by step, with no shortcut for text that is normal already. */
function normalizedStepByStep(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex -- replacing control characters is the point
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
    .replace(/[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

/** Letters, spaces and line breaks most of the time, now and then a character some step changes. */
function randomText(random: () => number): string {
  const rare = ['\r', '\t', '\f', '\v', '\u0000', '\u0007', '\u001f', '\u007f', '\u00a0', '\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u0085', 'é'];
  const length = Math.floor(random() * 40);
  let text = '';
  for (let i = 0; i < length; i++) {
    const r = random();
    text += r < 0.55 ? 'abcdefg'[Math.floor(random() * 7)] : r < 0.8 ? ' ' : r < 0.92 ? '\n' : rare[Math.floor(random() * rare.length)];
  }
  return text;
}

describe('normalizeProse', () => {
  it('gives what its definition gives, for text that is normal already and for text that is not', () => {
    let state = 7;
    const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
    let unchanged = 0;
    for (let i = 0; i < 50_000; i++) {
      const text = randomText(random);
      const expected = normalizedStepByStep(text);
      expect(normalizeProse(text)).toBe(expected);
      if (expected === text) unchanged++;
    }
    // Both ways are exercised: many samples are normal already, most are not.
    expect(unchanged).toBeGreaterThan(1_000);
    expect(unchanged).toBeLessThan(45_000);
  });

  it('collapses, trims and drops what a paragraph of extracted text brings', () => {
    expect(normalizeProse('  Two  spaces\u00a0and\ttabs \r\n\r\n second\u2028line\u0007end  ')).toBe('Two spaces and tabs\nsecond\u2028line end');
    expect(normalizeProse('already normal\nprose')).toBe('already normal\nprose');
    expect(normalizeProse('\ufefftitle')).toBe('title');
    expect(normalizeProse('')).toBe('');
  });

  it('keeps block offsets exact when some paragraphs need normalising and others do not', () => {
    const builder = new DocumentBuilder('text');
    for (const raw of ['plain one', ' padded\t\tone ', 'plain two']) builder.block('paragraph', raw);
    const parsed = builder.build();
    expect(parsed.text).toBe('plain one\n\npadded one\n\nplain two');
    for (const block of parsed.blocks) expect(parsed.text.slice(block.start, block.end)).toBe(block.text);
  });
});
