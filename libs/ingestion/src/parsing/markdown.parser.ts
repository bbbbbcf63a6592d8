import { DocumentBuilder, type ParsedDocument } from './parsed-document';
import { decodeWithWarning } from './text.parser';

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const LIST_ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])[ \t]+/;

const isBlank = (ch: string) => ch === ' ' || ch === '\t';

function trimBlanksEnd(text: string): string {
  let end = text.length;
  while (end > 0 && isBlank(text[end - 1])) end--;
  return text.slice(0, end);
}

/**
 * An ATX heading (`## Title ##`), read by scanning the line once: a single
 * pattern for the optional text and closing run has to try every split of
 * the blanks between them, which is cubic in the line's length.
 */
export function atxHeading(line: string): { level: number; text: string } | null {
  let at = 0;
  while (at < 3 && line[at] === ' ') at++;
  let level = 0;
  while (line[at + level] === '#') level++;
  if (level < 1 || level > 6) return null;
  at += level;
  if (at < line.length && !isBlank(line[at])) return null;
  let text = trimBlanksEnd(line.slice(at));
  let hashes = text.length;
  while (hashes > 0 && text[hashes - 1] === '#') hashes--;
  // A closing run of #s counts only after a blank (or when it is all there is).
  if (hashes < text.length && (hashes === 0 || isBlank(text[hashes - 1]))) text = trimBlanksEnd(text.slice(0, hashes));
  let start = 0;
  while (start < text.length && isBlank(text[start])) start++;
  return { level, text: text.slice(start) };
}

/** `title: "…"` in YAML front matter, quotes and blanks around the value dropped. */
function frontMatterTitle(line: string): string | null {
  if (!line.startsWith('title:')) return null;
  let value = line.slice('title:'.length).trim();
  if (value.startsWith('"') || value.startsWith("'")) value = value.slice(1);
  if (value.endsWith('"') || value.endsWith("'")) value = value.slice(0, -1);
  return value;
}

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
        title = frontMatterTitle(line) ?? title;
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
    const atx = atxHeading(line);
    if (atx) {
      flush();
      builder.heading(atx.level, atx.text);
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
