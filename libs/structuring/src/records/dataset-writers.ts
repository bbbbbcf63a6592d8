import { toAlpaca, toOpenAiChat, toShareGpt, type Converted } from './formats';
import { isTextRecord, type DatasetRecord } from './record';

export const EXPORT_FORMATS = ['openai-chat-jsonl', 'alpaca-json', 'sharegpt-json', 'text-jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface WriteOptions {
  /** Called for each record the format cannot hold, with its position in the input and why. */
  onSkipped?: (skipped: { index: number; reason: string }) => void;
  /** Records are gathered into chunks of about this many characters before being yielded. */
  chunkChars?: number;
}

type RecordSource = AsyncIterable<DatasetRecord> | Iterable<DatasetRecord>;

/**
 * Streams records out as text chunks, one converted record at a time: the
 * file is never whole in memory. `array` writes a JSON array (`[`, elements
 * separated by commas, `]`), otherwise one JSON object per line.
 */
async function* write<T>(records: RecordSource, convert: (record: DatasetRecord) => Converted<T>, array: boolean, options: WriteOptions): AsyncGenerator<string> {
  const chunkChars = options.chunkChars ?? 64 * 1024;
  let buffer = array ? '[' : '';
  let index = 0;
  let written = 0;
  for await (const record of records) {
    const converted = convert(record);
    if ('skipped' in converted) options.onSkipped?.({ index, reason: converted.skipped });
    else {
      const json = JSON.stringify(converted.value);
      buffer += array ? `${written ? ',' : ''}\n${json}` : `${json}\n`;
      written++;
      if (buffer.length >= chunkChars) {
        yield buffer;
        buffer = '';
      }
    }
    index++;
  }
  if (array) buffer += written ? '\n]\n' : ']\n';
  if (buffer) yield buffer;
}

export function writeOpenAiChatJsonl(records: RecordSource, options: WriteOptions = {}): AsyncGenerator<string> {
  return write(records, toOpenAiChat, false, options);
}

export function writeAlpacaJson(records: RecordSource, options: WriteOptions = {}): AsyncGenerator<string> {
  return write(records, toAlpaca, true, options);
}

export function writeShareGptJson(records: RecordSource, options: WriteOptions = {}): AsyncGenerator<string> {
  return write(records, toShareGpt, true, options);
}

/** `{"text": …}` lines for continued pre-training; chat records are not flattened into text. */
export function writeTextJsonl(records: RecordSource, options: WriteOptions = {}): AsyncGenerator<string> {
  return write(records, (record) => (isTextRecord(record) ? { value: { text: record.text } } : { skipped: 'a chat record is not plain text' }), false, options);
}

export function writeDataset(format: ExportFormat, records: RecordSource, options: WriteOptions = {}): AsyncGenerator<string> {
  switch (format) {
    case 'openai-chat-jsonl':
      return writeOpenAiChatJsonl(records, options);
    case 'alpaca-json':
      return writeAlpacaJson(records, options);
    case 'sharegpt-json':
      return writeShareGptJson(records, options);
    case 'text-jsonl':
      return writeTextJsonl(records, options);
  }
}
