import { jsonErrorOffset } from './json-error-offset';
import { DocumentParseError } from './parse-error';
import { DocumentBuilder, type ParsedDocument } from './parsed-document';
import { decodeWithWarning } from './text.parser';

function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** JSON.parse with an error that says where, in lines and columns. */
function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = jsonErrorOffset(text);
    const place = offset < 0 ? null : offset >= text.length ? 'the end' : position(text, offset);
    const reason = message.replace(/ in JSON at position \d.*$/, '').replace(/, (\.\.\.)?"[\s\S]*" is not valid JSON$/, '');
    throw new DocumentParseError('invalid_json', `${where} is not valid JSON${place ? ` at ${place}` : ''}: ${reason}`, { cause: error });
  }
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `a.b[0].c: value` lines, one per leaf. */
function flatten(value: unknown, prefix = '', out: string[] = []): string[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => flatten(item, `${prefix}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) flatten(item, prefix ? `${prefix}.${key}` : key, out);
  } else if (value !== null && value !== '') {
    out.push(prefix ? `${prefix}: ${scalar(value)}` : scalar(value));
  }
  return out;
}

function addRecords(builder: DocumentBuilder, value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) builder.block('record', flatten(item).join('\n'));
  } else {
    builder.block('record', flatten(value).join('\n'));
  }
}

/**
 * JSON: an array becomes one block per element; an object's nested
 * members become sections headed by their key, its scalar members one block.
 */
export function parseJsonDocument(bytes: Buffer): ParsedDocument {
  const builder = new DocumentBuilder('json');
  const { text } = decodeWithWarning(bytes, builder);
  const value = parseJson(text, 'the file');
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const scalars: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item && typeof item === 'object') {
        builder.heading(1, key);
        addRecords(builder, item);
      } else {
        scalars[key] = item;
      }
    }
    if (Object.keys(scalars).length) builder.block('record', flatten(scalars).join('\n'));
  } else {
    addRecords(builder, value);
  }
  return builder.build();
}

/** JSON Lines: one block per line; a bad line fails the document and names its number. */
export function parseJsonLines(bytes: Buffer): ParsedDocument {
  const builder = new DocumentBuilder('jsonl');
  const { text } = decodeWithWarning(bytes, builder);
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    builder.block('record', flatten(parseJson(line, `line ${i + 1}`)).join('\n'));
  });
  return builder.build();
}
