import { parseDocument } from 'htmlparser2';
import { DocumentBuilder, type ParsedDocument } from './parsed-document';
import { decodeWithWarning } from './text.parser';

/** The part of domhandler's node types we read. */
interface DomNode {
  type: string;
  name?: string;
  data?: string;
  attribs?: Record<string, string>;
  children?: DomNode[];
}

/** Never content: code, styling, chrome, forms, embedded media. */
const SKIPPED = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'head',
  'nav', 'aside', 'footer', 'form', 'button', 'select', 'textarea', 'input', 'dialog', 'audio', 'video', 'picture', 'map',
]);
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'blockquote', 'ul', 'ol', 'dl', 'dt', 'dd', 'figure',
  'figcaption', 'address', 'details', 'summary', 'hr', 'body', 'html', 'center', 'caption',
]);
const HEADING = /^h([1-6])$/;
/** Stands for a `<br>` until whitespace is collapsed. */
const LINE_BREAK = '\u2028';

function isHidden(node: DomNode): boolean {
  const a = node.attribs ?? {};
  return 'hidden' in a || a['aria-hidden'] === 'true' || /display\s*:\s*none/i.test(a['style'] ?? '');
}

function textOf(node: DomNode): string {
  if (node.type === 'text') return node.data ?? '';
  if (node.type !== 'tag' || SKIPPED.has(node.name!) || isHidden(node)) return '';
  if (node.name === 'br') return LINE_BREAK;
  const inner = (node.children ?? []).map(textOf).join('');
  return BLOCKS.has(node.name!) || node.name === 'li' || node.name === 'p' ? ` ${inner} ` : inner;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, (run) => (run.includes(LINE_BREAK) ? '\n' : ' ')).trim();
}

function find(node: DomNode, test: (n: DomNode) => boolean): DomNode | null {
  if (node.type === 'tag' && test(node)) return node;
  for (const child of node.children ?? []) {
    if (child.type === 'tag' && SKIPPED.has(child.name!)) continue;
    const found = find(child, test);
    if (found) return found;
  }
  return null;
}

function findAll(node: DomNode, test: (n: DomNode) => boolean, out: DomNode[] = []): DomNode[] {
  if (node.type === 'tag' && test(node)) out.push(node);
  for (const child of node.children ?? []) findAll(child, test, out);
  return out;
}

/** `<main>`, else the only `<article>`, else `<body>`, else everything. */
function mainContent(root: DomNode): DomNode {
  const main = find(root, (n) => n.name === 'main' || n.attribs?.['role'] === 'main');
  if (main) return main;
  const articles = findAll(root, (n) => n.name === 'article');
  if (articles.length === 1) return articles[0];
  return find(root, (n) => n.name === 'body') ?? root;
}

/** Walks the DOM into blocks: headings, paragraphs, list items, table rows, preformatted text. */
export function htmlToDocument(html: string, builder: DocumentBuilder): { title: string | null } {
  const root = parseDocument(html, { decodeEntities: true }) as unknown as DomNode;
  const titleNode = find(root, (n) => n.name === 'title') ?? findAll(root, (n) => n.name === 'title')[0];
  const title = titleNode ? collapse(textOf({ ...titleNode, name: 'span' })) : null;

  let inline: string[] = [];
  const flush = (kind: 'paragraph' | 'list' = 'paragraph') => {
    const text = collapse(inline.join(''));
    inline = [];
    if (text) builder.block(kind, text);
  };

  const visit = (node: DomNode): void => {
    if (node.type === 'text') {
      inline.push(node.data ?? '');
      return;
    }
    if (node.type !== 'tag' && node.type !== 'root') return;
    const name = node.name ?? '';
    if (node.type === 'tag' && (SKIPPED.has(name) || isHidden(node))) return;
    const heading = HEADING.exec(name);
    if (heading) {
      flush();
      builder.heading(Number(heading[1]), collapse(textOf(node)));
      return;
    }
    if (name === 'pre') {
      flush();
      builder.block('code', textOf(node).replace(new RegExp(LINE_BREAK, 'g'), '\n'));
      return;
    }
    if (name === 'table') {
      flush();
      const rows = findAll(node, (n) => n.name === 'tr').map((tr) =>
        (tr.children ?? [])
          .filter((c) => c.name === 'td' || c.name === 'th')
          .map((cell) => collapse(textOf(cell)))
          .join(' | '),
      );
      builder.block('table', rows.filter((r) => r.replace(/[ |]/g, '')).join('\n'));
      return;
    }
    if (name === 'br') {
      inline.push(LINE_BREAK);
      return;
    }
    if (name === 'li') {
      flush();
      for (const child of node.children ?? []) visit(child);
      flush('list');
      return;
    }
    const block = BLOCKS.has(name);
    if (block) flush();
    for (const child of node.children ?? []) visit(child);
    if (block) flush();
  };
  visit(mainContent(root));
  flush();
  return { title };
}

/** HTML: the main content's text with its headings; scripts, styles and page chrome dropped. */
export function parseHtml(bytes: Buffer): ParsedDocument {
  const builder = new DocumentBuilder('html');
  const { text } = decodeWithWarning(bytes, builder);
  const { title } = htmlToDocument(text, builder);
  return builder.build({ title });
}
