import { TextDecoder } from 'node:util';
import { parse as parseCsvText } from 'csv-parse/sync';
import { parseRecord } from './formats';
import type { DatasetRecord, RecordFormat, RecordIssue } from './record';
import { splitJsonArray, splitLineBatches, splitLines, type ByteSource, type Segment } from './segments';

export const FILE_TYPES = ['jsonl', 'json', 'csv'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export interface ReadDatasetOptions {
  /** How the file is laid out; detected from its first bytes when 'auto'. */
  fileType?: FileType | 'auto';
  /** The format of every record; detected per record from its keys when 'auto'. */
  format?: RecordFormat | 'auto';
  /** A line (JSONL, CSV) or element (JSON array) larger than this is rejected without being held in memory. */
  maxLineBytes?: number;
}

export type ReadResult =
  | { line: number; record: DatasetRecord; format: RecordFormat }
  | { line: number; errors: RecordIssue[] };

export const DEFAULT_MAX_LINE_BYTES = 2 * 1024 * 1024;

/** Lines larger than a typical example by far are not kept: 2 MiB holds over 500k tokens of text. */
function oversizeIssue(size: number, max: number): RecordIssue {
  return { path: '', message: `is ${size} bytes, over the limit of ${max} bytes` };
}

/**
 * Detects the layout from the first meaningful byte (after a BOM and
 * whitespace): `[` is a JSON array, `{` JSON lines, anything else CSV.
 * Returns the detected type and a source that still yields every byte.
 */
export async function detectFileType(source: ByteSource): Promise<{ fileType: FileType; source: AsyncIterable<Uint8Array> }> {
  const iterator = (Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()) as AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  const seen: Uint8Array[] = [];
  let fileType: FileType | null = null;
  let done = false;
  let offset = 0;
  while (fileType === null) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = next.value;
    seen.push(chunk);
    for (let i = 0; i < chunk.length && fileType === null; i++, offset++) {
      const b = chunk[i];
      const bom = offset < 3 && b === [0xef, 0xbb, 0xbf][offset];
      if (bom || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
      fileType = b === 0x5b ? 'json' : b === 0x7b ? 'jsonl' : 'csv';
    }
  }
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* seen;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { fileType: fileType ?? 'jsonl', source: replay() };
}

/**
 * Reads a dataset file as a stream: one result per record, either the record
 * in the internal shape or what is wrong with it. Never throws for bad input:
 * broken lines, wrong shapes, invalid UTF-8 and oversized lines are reported
 * on their line and reading goes on.
 */
export async function* readDataset(input: ByteSource, options: ReadDatasetOptions = {}): AsyncGenerator<ReadResult> {
  for await (const batch of readDatasetBatches(input, options)) yield* batch;
}

/** `readDataset`, handing over the results of each input chunk together: for consumers that go through millions of lines. */
export async function* readDatasetBatches(input: ByteSource, options: ReadDatasetOptions = {}): AsyncGenerator<ReadResult[]> {
  const maxBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const format = options.format ?? 'auto';
  let fileType = options.fileType ?? 'auto';
  let source: ByteSource = input;
  if (fileType === 'auto') ({ fileType, source } = await detectFileType(input));
  if (fileType === 'csv') {
    for await (const result of readCsv(splitLines(source, { maxBytes, quoted: true }), maxBytes, format)) yield [result];
    return;
  }
  const batches = fileType === 'json' ? oneByOne(splitJsonArray(source, { maxBytes })) : splitLineBatches(source, { maxBytes });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const segments of batches) {
    const results: ReadResult[] = [];
    for (const segment of segments) {
      const result = readJson(segment, decoder, maxBytes, format);
      if (result) results.push(result);
    }
    if (results.length) yield results;
  }
}

async function* oneByOne<T>(items: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const item of items) yield [item];
}

function readJson(segment: Segment, decoder: TextDecoder, maxBytes: number, format: RecordFormat | 'auto'): ReadResult | null {
  const text = decodeSegment(segment, decoder, maxBytes);
  if (typeof text !== 'string') return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // A line of spaces is a blank line, not a broken record.
    if (!text.trim()) return null;
    return { line: segment.line, errors: [{ path: '', message: `is not valid JSON: ${(error as Error).message}` }] };
  }
  const parsed = parseRecord(value, format);
  return 'errors' in parsed ? { line: segment.line, errors: parsed.errors } : { line: segment.line, record: parsed.record, format: parsed.format };
}

function decodeSegment(segment: Segment, decoder: TextDecoder, maxBytes: number): string | ReadResult {
  if ('fatal' in segment) return { line: segment.line, errors: [{ path: '', message: segment.fatal }] };
  if ('oversize' in segment) return { line: segment.line, errors: [oversizeIssue(segment.oversize, maxBytes)] };
  try {
    return decoder.decode(segment.bytes);
  } catch {
    return { line: segment.line, errors: [{ path: '', message: 'is not valid UTF-8' }] };
  }
}

/** The columns a CSV header may name, per format; matched case-insensitively. */
const CSV_LAYOUTS: Array<{ format: RecordFormat; required: string[]; optional: string[] }> = [
  { format: 'openai-chat', required: ['messages'], optional: [] },
  { format: 'openai-chat', required: ['user', 'assistant'], optional: ['system'] },
  { format: 'alpaca', required: ['instruction', 'output'], optional: ['input', 'system'] },
  { format: 'text', required: ['text'], optional: [] },
];

function csvLayout(header: string[], format: RecordFormat | 'auto') {
  return CSV_LAYOUTS.find((layout) => (format === 'auto' || layout.format === format) && layout.required.every((c) => header.includes(c)));
}

function csvRow(text: string, delimiter: string): string[] | RecordIssue {
  try {
    const rows = parseCsvText(text, { delimiter, relax_column_count: true }) as string[][];
    if (rows.length !== 1) return { path: '', message: `holds ${rows.length} CSV records where one was expected` };
    return rows[0];
  } catch (error) {
    return { path: '', message: `is not valid CSV: ${(error as Error).message.replace(/^Invalid (?:Closing|Opening) Quote: /, '').replace(/ at line \d+/, '')}` };
  }
}

async function* readCsv(segments: AsyncIterable<Segment>, maxBytes: number, format: RecordFormat | 'auto'): AsyncGenerator<ReadResult> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let header: string[] | null = null;
  let layout: ReturnType<typeof csvLayout>;
  let delimiter = ',';
  for await (const segment of segments) {
    const text = decodeSegment(segment, decoder, maxBytes);
    if (typeof text !== 'string') {
      if (header) yield text;
      else {
        yield { line: text.line, errors: [{ path: '', message: `the CSV header ${'errors' in text ? text.errors[0].message : 'is unreadable'}` }] };
        return;
      }
      continue;
    }
    if (!text.trim()) continue;
    if (!header) {
      delimiter = text.includes('\t') && !text.includes(',') ? '\t' : ',';
      const row = csvRow(text, delimiter);
      if (!Array.isArray(row)) {
        yield { line: segment.line, errors: [{ path: '', message: `the CSV header ${row.message}` }] };
        return;
      }
      header = row.map((c) => c.trim().toLowerCase());
      layout = csvLayout(header, format);
      if (!layout) {
        yield {
          line: segment.line,
          errors: [{ path: '', message: `the CSV header names no known layout: expected columns "text", "instruction,input,output", "system,user,assistant" or "messages", found "${header.join(',')}"` }],
        };
        return;
      }
      continue;
    }
    const row = csvRow(text, delimiter);
    if (!Array.isArray(row)) {
      yield { line: segment.line, errors: [row] };
      continue;
    }
    if (row.length !== header.length) {
      const missing = header.slice(row.length);
      yield {
        line: segment.line,
        errors: [
          {
            path: '',
            message:
              row.length < header.length
                ? `has ${row.length} of ${header.length} columns: missing ${missing.map((c) => `"${c}"`).join(', ')}`
                : `has ${row.length} columns, the header names ${header.length}`,
          },
        ],
      };
      continue;
    }
    const cells: Record<string, string> = {};
    header.forEach((column, i) => (cells[column] = row[i]));
    yield csvRecord(segment.line, cells, layout!);
  }
}

function csvRecord(line: number, cells: Record<string, string>, layout: NonNullable<ReturnType<typeof csvLayout>>): ReadResult {
  let value: unknown;
  if (layout.required[0] === 'messages') {
    try {
      value = { messages: JSON.parse(cells['messages']) };
    } catch (error) {
      return { line, errors: [{ path: 'messages', message: `is not valid JSON: ${(error as Error).message}` }] };
    }
  } else if (layout.format === 'openai-chat') {
    const messages = [];
    if (cells['system']) messages.push({ role: 'system', content: cells['system'] });
    messages.push({ role: 'user', content: cells['user'] }, { role: 'assistant', content: cells['assistant'] });
    value = { messages };
  } else {
    value = Object.fromEntries([...layout.required, ...layout.optional].filter((c) => c in cells).map((c) => [c, cells[c]]));
  }
  const parsed = parseRecord(value, layout.format);
  return 'errors' in parsed ? { line, errors: parsed.errors } : { line, record: parsed.record, format: parsed.format };
}
