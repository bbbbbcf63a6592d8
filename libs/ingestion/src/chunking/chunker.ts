import type { ChunkingSettings } from '@llmp/contracts';
import type { Block, ParsedDocument } from '../parsing/parsed-document';
import type { Chunk } from './chunk';
import { sentenceSpans, wordSpans, type Span } from './sentences';
import { TextTokens } from './tokens';

/** The smallest piece the packer moves: a sentence, a line, or part of an overlong one. */
interface Unit {
  start: number;
  end: number;
  tokens: number;
  section: number;
  /** First unit of its block: a good place to end a chunk. */
  blockStart: boolean;
  page: number | null;
}

interface Section {
  headingPath: string[];
  units: Unit[];
  tokens: number;
}

/** Lines for structured blocks (code, tables, records), sentences for prose. */
function spansOf(text: string, block: Block): Span[] {
  if (block.kind === 'heading') return [{ start: block.start, end: block.end }];
  if (block.kind === 'code' || block.kind === 'table' || block.kind === 'record') {
    const spans: Span[] = [];
    let from = block.start;
    while (from < block.end) {
      const newline = text.indexOf('\n', from);
      const to = newline < 0 || newline >= block.end ? block.end : newline + 1;
      spans.push({ start: from, end: to });
      from = to;
    }
    return spans;
  }
  return sentenceSpans(text, block.start, block.end);
}

/** Splits a span that alone exceeds the budget: by words, then by characters. */
function fitSpan(tokenized: TextTokens, span: Span, maxTokens: number, out: Array<Span & { tokens: number }> = []): Array<Span & { tokens: number }> {
  const tokens = tokenized.count(span.start, span.end);
  if (tokens <= maxTokens) {
    out.push({ start: span.start, end: span.end, tokens });
    return out;
  }
  const words = wordSpans(tokenized.text, span.start, span.end);
  if (words.length > 1) {
    for (const word of words) fitSpan(tokenized, word, maxTokens, out);
    return out;
  }
  // One enormous "word" (a hash, base64): halve until the pieces fit.
  const middle = span.start + Math.floor((span.end - span.start) / 2);
  fitSpan(tokenized, { start: span.start, end: middle }, maxTokens, out);
  return fitSpan(tokenized, { start: middle, end: span.end }, maxTokens, out);
}

function sectionsOf(doc: ParsedDocument, tokenized: TextTokens, maxTokens: number): Section[] {
  const sections: Section[] = [];
  let page: number | null = null;
  for (const block of doc.blocks) {
    // A new page starts a section too, so a chunk's page cites exactly where its text is.
    if (block.kind === 'heading' || sections.length === 0 || block.page !== page) {
      sections.push({ headingPath: block.headingPath, units: [], tokens: 0 });
    }
    page = block.page;
    const section = sections[sections.length - 1];
    let first = true;
    for (const span of spansOf(doc.text, block)) {
      for (const piece of fitSpan(tokenized, span, maxTokens)) {
        // The blank line between blocks costs about a token that no unit holds.
        const tokens = piece.tokens + (first && section.units.length ? 1 : 0);
        section.units.push({ start: piece.start, end: piece.end, tokens, section: sections.length - 1, blockStart: first, page: block.page });
        section.tokens += tokens;
        first = false;
      }
    }
  }
  return sections;
}

const sum = (units: Unit[]) => units.reduce((n, u) => n + u.tokens, 0);

/**
 * Groups units into chunks of at most `maxTokens`. Every heading and every
 * page starts a chunk, so a chunk's heading path and page cite it exactly. A section
 * that does not fit is split: at a block boundary when one lies in the
 * chunk's second half (`recursive`) or anywhere (`heading`), else at a
 * sentence; in `recursive` mode the next chunk repeats up to
 * `overlapTokens` of trailing sentences, in `heading` mode parts never overlap.
 */
function pack(sections: Section[], { mode, maxTokens, overlapTokens: requested }: ChunkingSettings): Unit[][] {
  const overlapTokens = mode === 'heading' ? 0 : requested;
  const minimumBeforeBoundary = mode === 'heading' ? 1 : maxTokens / 2;
  const chunks: Unit[][] = [];
  let current: Unit[] = [];
  let tokens = 0;
  const emit = () => {
    if (current.length) chunks.push(current);
    current = [];
    tokens = 0;
  };
  for (const section of sections) {
    emit();
    if (section.tokens <= maxTokens) {
      current = [...section.units];
      tokens = section.tokens;
      continue;
    }
    for (const unit of section.units) {
      if (current.length && tokens + unit.tokens > maxTokens) {
        let split = current.length;
        for (let k = current.length - 1; k > 0; k--) {
          if (current[k].blockStart) {
            if (sum(current.slice(0, k)) >= minimumBeforeBoundary) split = k;
            break;
          }
        }
        const done = current.slice(0, split);
        const carried = current.slice(split);
        chunks.push(done);
        const overlap: Unit[] = [];
        let overlapSize = 0;
        for (let k = done.length - 1; k > 0; k--) {
          if (overlapSize + done[k].tokens > overlapTokens) break;
          overlap.unshift(done[k]);
          overlapSize += done[k].tokens;
        }
        current = [...overlap, ...carried];
        tokens = sum(current);
        while (overlap.length && tokens + unit.tokens > maxTokens) {
          overlap.shift();
          current.shift();
          tokens = sum(current);
        }
        if (tokens + unit.tokens > maxTokens) emit();
      }
      current.push(unit);
      tokens += unit.tokens;
    }
  }
  emit();
  return chunks;
}

function toChunks(doc: ParsedDocument, tokenized: TextTokens, sections: Section[], units: Unit[], maxTokens: number): Omit<Chunk, 'ordinal'>[] {
  let start = units[0].start;
  let end = units[units.length - 1].end;
  while (start < end && /\s/.test(doc.text[start])) start++;
  while (end > start && /\s/.test(doc.text[end - 1])) end--;
  const text = doc.text.slice(start, end);
  const tokenCount = tokenized.count(start, end);
  if (tokenCount > maxTokens && units.length > 1) {
    // The estimate missed by a token or two: halve rather than overflow the budget.
    const middle = Math.ceil(units.length / 2);
    return [...toChunks(doc, tokenized, sections, units.slice(0, middle), maxTokens), ...toChunks(doc, tokenized, sections, units.slice(middle), maxTokens)];
  }
  const pages = units.map((u) => u.page).filter((p): p is number => p !== null);
  return [
    {
      text,
      start,
      end,
      headingPath: sections[units[0].section].headingPath,
      pageStart: pages.length ? Math.min(...pages) : null,
      pageEnd: pages.length ? Math.max(...pages) : null,
      tokenCount,
    },
  ];
}

/** Splits a parsed document into chunks that respect its structure and the token budget. */
export function chunkDocument(doc: ParsedDocument, settings: ChunkingSettings): Chunk[] {
  // The text is split for the tokenizer once; every sentence and chunk is counted from those pieces.
  const tokenized = new TextTokens(doc.text);
  const sections = sectionsOf(doc, tokenized, settings.maxTokens);
  return pack(sections, settings)
    .flatMap((units) => toChunks(doc, tokenized, sections, units, settings.maxTokens))
    .filter((chunk) => chunk.text.length > 0)
    .map((chunk, ordinal) => ({ ordinal, ...chunk }));
}

/** What the embedder sees: the chunk with the headings above it, which often carry the topic. */
export function embeddingText(chunk: Pick<Chunk, 'text' | 'headingPath'>): string {
  const path = chunk.headingPath;
  if (!path.length || chunk.text.startsWith(path[path.length - 1])) return chunk.text;
  return `${path.join(' > ')}\n\n${chunk.text}`;
}
