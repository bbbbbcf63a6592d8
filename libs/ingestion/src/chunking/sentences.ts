export interface Span {
  start: number;
  end: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
/** ICU's sentence segmentation slows down sharply on long inputs: feed it windows of about this size. */
const WINDOW = 2000;

/** A cut point at or before `limit`: after a newline, else after a space, else `limit`. */
function cutPoint(text: string, from: number, limit: number): number {
  const newline = text.lastIndexOf('\n', limit - 1);
  if (newline > from + WINDOW / 2) return newline + 1;
  const space = text.lastIndexOf(' ', limit - 1);
  if (space > from + WINDOW / 2) return space + 1;
  return limit;
}

/** Sentence spans of `text.slice(start, end)`, absolute offsets, trailing whitespace included. */
export function sentenceSpans(text: string, start: number, end: number): Span[] {
  const spans: Span[] = [];
  let from = start;
  while (from < end) {
    const to = end - from > WINDOW ? cutPoint(text, from, from + WINDOW) : end;
    for (const { index, segment } of segmenter.segment(text.slice(from, to))) {
      spans.push({ start: from + index, end: from + index + segment.length });
    }
    from = to;
  }
  return spans;
}

/** Word spans (each with its trailing whitespace) of `text.slice(start, end)`. */
export function wordSpans(text: string, start: number, end: number): Span[] {
  const spans: Span[] = [];
  const pattern = /\S+\s*/g;
  pattern.lastIndex = start;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) && match.index < end) {
    spans.push({ start: match.index, end: Math.min(end, match.index + match[0].length) });
  }
  if (spans.length && spans[0].start > start) spans[0] = { ...spans[0], start };
  return spans;
}
