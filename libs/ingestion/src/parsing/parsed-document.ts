import type { DocumentType } from '@llmp/contracts';

export type BlockKind = 'heading' | 'paragraph' | 'list' | 'code' | 'table' | 'record';

/** One structural piece of a document, located in the document's extracted text. */
export interface Block {
  kind: BlockKind;
  text: string;
  /** `document.text.slice(start, end) === text`. */
  start: number;
  end: number;
  /** Headings above this block, outermost first; a heading's path ends with itself. */
  headingPath: string[];
  page: number | null;
  /** 1–6 for headings. */
  level?: number;
}

/** What every parser produces: the extracted text and its blocks in reading order. */
export interface ParsedDocument {
  type: DocumentType;
  text: string;
  blocks: Block[];
  title: string | null;
  pageCount: number | null;
  warnings: string[];
}

/** Blocks are separated by a blank line in the extracted text. */
export const BLOCK_SEPARATOR = '\n\n';

// Everything below U+0020 except tab and newline, and DEL.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * Whatever `normalizeProse` would change: a line break other than `\n`, a
 * control character, a tab or other blank (every character `trim` removes
 * besides the space), two spaces in a row, a space at either end of a line,
 * or an empty line. Text without any is already normal.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_NORMAL_PROSE = /[\u0000-\u0009\u000b-\u001f\u007f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}|^ | $|^$/m;

/** Prose: runs of spaces collapsed, lines trimmed, blank lines removed. */
export function normalizeProse(text: string): string {
  // Most extracted paragraphs are normal already: one scan instead of five passes and a string per line.
  if (!NOT_NORMAL_PROSE.test(text)) return text;
  return text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, ' ')
    .replace(/[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

/** Code and preformatted text: indentation kept, trailing spaces and blank edges dropped. */
export function normalizePreformatted(text: string): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, ' ')
    .split('\n')
        // trimEnd drops the same characters as /\s+$/ in linear time; the pattern retries from every blank.
    .map((line) => line.trimEnd());
  while (lines.length && !lines[0]) lines.shift();
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  return lines.join('\n').replace(/\n{2,}/g, '\n');
}

/** Builds the extracted text block by block, keeping offsets and the heading path exact. */
export class DocumentBuilder {
  private readonly parts: string[] = [];
  private length = 0;
  private readonly blocks: Block[] = [];
  private readonly headings: Array<{ level: number; text: string }> = [];
  private readonly warnings: string[] = [];

  constructor(private readonly type: DocumentType) {}

  heading(level: number, raw: string, page: number | null = null): void {
    const text = normalizeProse(raw).replace(/\n/g, ' ');
    if (!text) return;
    while (this.headings.length && this.headings[this.headings.length - 1].level >= level) this.headings.pop();
    this.headings.push({ level, text });
    this.add('heading', text, page, level);
  }

  block(kind: Exclude<BlockKind, 'heading'>, raw: string, page: number | null = null): void {
    const text = kind === 'code' ? normalizePreformatted(raw) : normalizeProse(raw);
    if (text) this.add(kind, text, page);
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  private add(kind: BlockKind, text: string, page: number | null, level?: number): void {
    if (this.length > 0) {
      this.parts.push(BLOCK_SEPARATOR);
      this.length += BLOCK_SEPARATOR.length;
    }
    const start = this.length;
    this.parts.push(text);
    this.length += text.length;
    this.blocks.push({
      kind,
      text,
      start,
      end: this.length,
      headingPath: this.headings.map((h) => h.text),
      page,
      ...(level !== undefined ? { level } : {}),
    });
  }

  build({ title = null, pageCount = null }: { title?: string | null; pageCount?: number | null } = {}): ParsedDocument {
    const firstHeading = this.blocks.find((b) => b.kind === 'heading');
    return {
      type: this.type,
      text: this.parts.join(''),
      blocks: this.blocks,
      title: title?.trim() || firstHeading?.text || null,
      pageCount,
      warnings: [...this.warnings],
    };
  }
}
