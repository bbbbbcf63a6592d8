import { DocumentParseError } from './parse-error';
import { DocumentBuilder, type ParsedDocument } from './parsed-document';

/** The parts of a pdf.js text item we use. */
interface TextItem {
  str: string;
  transform: number[];
  height: number;
  hasEOL?: boolean;
}

interface Line {
  text: string;
  y: number;
  size: number;
}

/** The lower median: with two values, the smaller. */
function median(values: number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function linesOf(items: TextItem[]): Line[] {
  const lines: Line[] = [];
  let current: Line | null = null;
  const push = () => {
    if (current && current.text.trim()) lines.push({ ...current, text: current.text.trim() });
    current = null;
  };
  for (const item of items) {
    if (typeof item.str !== 'string') continue;
    const y = item.transform[5];
    const size = item.height || Math.abs(item.transform[3]) || 0;
    if (current && Math.abs(y - (current as Line).y) > Math.max(1, size * 0.5)) push();
    current ??= { text: '', y, size };
    current.text += item.str;
    current.size = Math.max(current.size, size);
    if (item.hasEOL) push();
  }
  push();
  return lines;
}

function pdfError(error: unknown): DocumentParseError {
  const name = (error as Error)?.name;
  if (name === 'PasswordException') {
    return new DocumentParseError('pdf_encrypted', 'the PDF is password-protected; remove the password and upload it again', { cause: error });
  }
  return new DocumentParseError('pdf_corrupt', `the PDF is damaged and cannot be read: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/**
 * PDF text layer through pdf.js (unpdf's build, no worker). Lines come from
 * text positions; a wider gap starts a paragraph, and a short line set in a
 * clearly larger font than the body becomes a heading. Page numbers are kept.
 */
export async function parsePdf(bytes: Buffer, { signal }: { signal?: AbortSignal } = {}): Promise<ParsedDocument> {
  const { getDocumentProxy } = await import('unpdf');
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false, stopAtErrors: false });
  } catch (error) {
    throw pdfError(error);
  }
  try {
    const pages: Line[][] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      signal?.throwIfAborted();
      try {
        const page = await pdf.getPage(n);
        const content = await page.getTextContent();
        pages.push(linesOf(content.items as TextItem[]));
        page.cleanup();
      } catch (error) {
        throw pdfError(error);
      }
    }
    const all = pages.flat();
    if (!all.length) {
      throw new DocumentParseError('no_text', 'the PDF has no text layer (scanned pages?); text recognition (OCR) is not supported');
    }
    const bodySize = median(all.map((l) => l.size));
    const headingSizes = [...new Set(all.filter((l) => l.size >= bodySize * 1.2 && l.text.length <= 150).map((l) => Math.round(l.size)))].sort(
      (a, b) => b - a,
    );
    const builder = new DocumentBuilder('pdf');
    const isHeading = (line: Line) => headingSizes.includes(Math.round(line.size)) && line.text.length <= 150;
    pages.forEach((lines, index) => {
      const page = index + 1;
      // Line spacing of body text only: the space after a heading is larger.
      const gaps = lines
        .slice(1)
        .map((l, i) => (isHeading(l) || isHeading(lines[i]) ? 0 : lines[i].y - l.y))
        .filter((g) => g > 0);
      const lineGap = median(gaps) || bodySize * 1.2;
      let paragraph: string[] = [];
      const flush = () => {
        if (paragraph.length) builder.block('paragraph', paragraph.join('\n'), page);
        paragraph = [];
      };
      lines.forEach((line, i) => {
        if (isHeading(line)) {
          flush();
          builder.heading(Math.min(headingSizes.indexOf(Math.round(line.size)) + 1, 6), line.text, page);
          return;
        }
        const gap = i > 0 ? lines[i - 1].y - line.y : 0;
        if (gap > lineGap * 1.5 || gap < 0) flush();
        paragraph.push(line.text);
      });
      flush();
    });
    let title: string | null = null;
    try {
      const meta = await pdf.getMetadata();
      const info = meta.info as { Title?: unknown } | undefined;
      title = typeof info?.Title === 'string' ? info.Title : null;
    } catch {
      title = null;
    }
    return builder.build({ title, pageCount: pdf.numPages });
  } finally {
    await pdf.destroy();
  }
}
