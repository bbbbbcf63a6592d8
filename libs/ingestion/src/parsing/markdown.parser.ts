import { DocumentBuilder, type ParsedDocument } from './parsed-document';
import { decodeWithWarning } from './text.parser';

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const LIST_ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])[ \t]+/;

/**
 * Markdown by lines: ATX and setext headings, fenced code kept whole,
 * paragraphs and lists as blocks, YAML front matter read for a title.
 * Inline markup stays in the text: it reads fine and keeps offsets simple.
 */
export function parseMarkdown(bytes: Buffer): ParsedDocument {
  const builder = new DocumentBuilder('markdown');
  const { text } = decodeWithWarning(bytes, builder);
  const lines = text.split('\n');
  let title: string | null = null;
  let i = 0;
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, n) => n > 0 && /^(---|\.\.\.)\s*$/.test(line));
    if (end > 0) {
      for (const line of lines.slice(1, end)) {
        const match = /^title:\s*["']?(.*?)["']?\s*$/.exec(line);
        if (match) title = match[1];
      }
      i = end + 1;
    }
  }

  let paragraph: string[] = [];
  let kind: 'paragraph' | 'list' = 'paragraph';
  const flush = () => {
    if (paragraph.length) builder.block(kind, paragraph.join('\n'));
    paragraph = [];
    kind = 'paragraph';
  };

  for (; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const marker = fence[1];
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i].trimStart().startsWith(marker); i++) code.push(lines[i]);
      builder.block('code', code.join('\n'));
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      flush();
      builder.heading(atx[1].length, atx[2] ?? '');
      continue;
    }
    const setext = SETEXT.exec(line);
    if (setext && paragraph.length === 1 && kind === 'paragraph') {
      const headingText = paragraph[0];
      paragraph = [];
      builder.heading(setext[1][0] === '=' ? 1 : 2, headingText);
      continue;
    }
    if (/^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$/.test(line)) {
      // A thematic break separates blocks and is not text.
      flush();
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    if (LIST_ITEM.test(line) && paragraph.length === 0) kind = 'list';
    paragraph.push(line);
  }
  flush();
  return builder.build({ title });
}
