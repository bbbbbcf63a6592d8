import { parseMarkdown } from '../parsing/markdown.parser';
import { DocumentBuilder, type ParsedDocument } from '../parsing/parsed-document';
import { prose } from '../testing/text-generator';
import type { Chunk } from './chunk';
import { chunkDocument, embeddingText } from './chunker';
import { countTokens } from './tokens';

function aMarkdownDocument(): ParsedDocument {
  const text = prose({ paragraphs: 40 });
  const md = [
    '# Pump manual',
    text[0],
    '## Installation',
    ...text.slice(1, 16),
    '## Short note',
    text[16],
    '## Tiny',
    'One line.',
    '# Maintenance',
    ...text.slice(17, 40),
  ].join('\n\n');
  return parseMarkdown(Buffer.from(md));
}

function expectWellFormed(doc: ParsedDocument, chunks: Chunk[], maxTokens: number) {
  chunks.forEach((chunk, i) => {
    expect(chunk.ordinal).toBe(i);
    expect(chunk.text).toBe(doc.text.slice(chunk.start, chunk.end));
    expect(chunk.tokenCount).toBe(countTokens(chunk.text));
    expect(chunk.tokenCount).toBeLessThanOrEqual(maxTokens);
    expect(chunk.text).toBe(chunk.text.trim());
  });
  // Every character of text belongs to some chunk.
  const covered = new Uint8Array(doc.text.length);
  for (const c of chunks) covered.fill(1, c.start, c.end);
  const missed = [...doc.text].findIndex((ch, i) => !covered[i] && !/\s/.test(ch));
  expect(missed).toBe(-1);
}

describe('chunkDocument', () => {
  const doc = aMarkdownDocument();

  it('keeps every chunk within the token budget, exact to the document text, covering all of it', () => {
    for (const settings of [
      { mode: 'recursive', maxTokens: 128, overlapTokens: 24 },
      { mode: 'recursive', maxTokens: 512, overlapTokens: 64 },
      { mode: 'heading', maxTokens: 200, overlapTokens: 0 },
    ] as const) {
      expectWellFormed(doc, chunkDocument(doc, settings), settings.maxTokens);
    }
  });

  it('repeats trailing sentences of the previous chunk inside a long section, up to the overlap', () => {
    const chunks = chunkDocument(doc, { mode: 'recursive', maxTokens: 128, overlapTokens: 32 });
    const installation = chunks.filter((c) => c.headingPath.join('/') === 'Pump manual/Installation');
    expect(installation.length).toBeGreaterThan(3);
    let overlapping = 0;
    for (let i = 1; i < installation.length; i++) {
      const [prev, next] = [installation[i - 1], installation[i]];
      expect(next.start).toBeGreaterThan(prev.start);
      if (next.start < prev.end) {
        overlapping++;
        expect(countTokens(doc.text.slice(next.start, prev.end))).toBeLessThanOrEqual(32 + 2);
      }
    }
    expect(overlapping).toBeGreaterThan(0);
  });

  it('starts a chunk at every heading, so its heading path and pages cite it exactly', () => {
    for (const mode of ['recursive', 'heading'] as const) {
      const chunks = chunkDocument(doc, { mode, maxTokens: 512, overlapTokens: 0 });
      expect(chunks.find((c) => c.text === 'Tiny\n\nOne line.')?.headingPath).toEqual(['Pump manual', 'Tiny']);
      for (const chunk of chunks) {
        const headingsInside = doc.blocks.filter((b) => b.kind === 'heading' && b.start > chunk.start && b.start < chunk.end);
        expect(headingsInside).toEqual([]);
      }
    }
  });

  it('splits an oversized section into parts that never overlap in heading mode', () => {
    const chunks = chunkDocument(doc, { mode: 'heading', maxTokens: 128, overlapTokens: 32 });
    const installation = chunks.filter((c) => c.headingPath.join('/') === 'Pump manual/Installation');
    expect(installation.length).toBeGreaterThan(3);
    for (let i = 1; i < installation.length; i++) expect(installation[i].start).toBeGreaterThanOrEqual(installation[i - 1].end);
  });

  it('prefers ending a chunk between paragraphs over inside one', () => {
    const chunks = chunkDocument(doc, { mode: 'recursive', maxTokens: 256, overlapTokens: 0 });
    const paragraphEnds = new Set(doc.blocks.map((b) => b.end));
    const ends = chunks.map((c) => paragraphEnds.has(c.end));
    expect(ends.filter(Boolean).length / ends.length).toBeGreaterThan(0.7);
  });

  it('splits a sentence longer than the budget, and text with special-token look-alikes', () => {
    const builder = new DocumentBuilder('text');
    builder.block('paragraph', `Key: ${'QUJD'.repeat(600)} <|endoftext|> end.`);
    const long = builder.build();
    const chunks = chunkDocument(long, { mode: 'recursive', maxTokens: 64, overlapTokens: 0 });
    expectWellFormed(long, chunks, 64);
    expect(chunks.length).toBeGreaterThan(5);
  });

  it('starts a chunk at each page, so the page in a citation is where the text is', () => {
    const builder = new DocumentBuilder('pdf');
    const text = prose({ paragraphs: 6, seed: 7 });
    text.forEach((p, i) => builder.block('paragraph', p, Math.floor(i / 2) + 1));
    const pdf = builder.build();
    const chunks = chunkDocument(pdf, { mode: 'recursive', maxTokens: 4000, overlapTokens: 0 });
    expect(chunks.map((c) => [c.pageStart, c.pageEnd])).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(chunks[1].text).toBe(`${text[2]}\n\n${text[3]}`);
  });

  it('gives the embedder the heading path when the chunk does not start with its heading', () => {
    expect(embeddingText({ text: 'Bolt it down.', headingPath: ['Manual', 'Install'] })).toBe('Manual > Install\n\nBolt it down.');
    expect(embeddingText({ text: 'Install\n\nBolt it down.', headingPath: ['Manual', 'Install'] })).toBe('Install\n\nBolt it down.');
  });
});
