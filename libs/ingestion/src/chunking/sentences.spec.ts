import { prose } from '../testing/text-generator';
import { sentenceSpans } from './sentences';

const icu = new Intl.Segmenter('en', { granularity: 'sentence' });
const byIcu = (text: string) => [...icu.segment(text)].map((s) => [s.index, s.index + s.segment.length]);
const byUs = (text: string) => sentenceSpans(text, 0, text.length).map((s) => [s.start, s.end]);

// Pieces that exercise every rule: abbreviations, initials, decimals, quotes and brackets after a full stop, separators, controls.
const PIECES = [
  'Hello', 'world', 'e.g.', 'U.S.', 'Mr.', 'etc.', '3.14', 'v2.0', 'a', 'The', 'NASA', '.', '. ', '! ', '? ', '?! ', '...', '.\n', '\n',
  '\n\n', '\r\n', '\r', ' ', '\t', '"', "'", '(', ')', '[', ']', ',', ';', ':', '-', '42', '#', '/', '. a', '. A', '." ', '.) ', '. 5 apples',
  '.\u000b', '\f', 'J.R.R.', '..', '!?', '. "Quote." ', '~', '<', '@', '\u0000', '\u001b', '\u007f', 'A.', 'z. ', '.a', '.5', '. (a', '? a', '!5', '.;',
];

describe('sentenceSpans', () => {
  it('finds the sentence breaks ICU finds in ASCII text', () => {
    let seed = 5;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 3000; i++) {
      let text = '';
      for (let n = 1 + Math.floor(random() * 30); n > 0; n--) text += PIECES[Math.floor(random() * PIECES.length)] + (random() < 0.5 ? ' ' : '');
      expect([text, byUs(text)]).toEqual([text, byIcu(text)]);
    }
    const long = prose({ paragraphs: 20, seed: 3 }).join('\n\n');
    expect(byUs(long.slice(0, 1900))).toEqual(byIcu(long.slice(0, 1900)));
  });

  it('leaves text beyond ASCII to ICU and covers long text in windows', () => {
    const text = `Café au lait. ${prose({ paragraphs: 30, seed: 4 }).join(' ')} Fin. Ende.`;
    const spans = sentenceSpans(text, 0, text.length);
    expect(spans[0]).toEqual({ start: 0, end: 'Café au lait. '.length });
    spans.forEach((span, i) => expect(span.start).toBe(i ? spans[i - 1].end : 0));
    expect(spans[spans.length - 1].end).toBe(text.length);
  });
});
