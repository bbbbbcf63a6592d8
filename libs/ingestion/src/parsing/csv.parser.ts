import { parse } from 'csv-parse/sync';
import { DocumentParseError } from './parse-error';
import { DocumentBuilder, type ParsedDocument } from './parsed-document';
import { detectDelimiter } from './sniff';
import { decodeWithWarning } from './text.parser';

function looksLikeHeader(row: string[]): boolean {
  const cells = row.map((c) => c.trim());
  return cells.every((c) => c && !/^-?[\d.,]+$/.test(c)) && new Set(cells).size === cells.length;
}

/** CSV/TSV: one block per record, written `column: value` when the first row names the columns. */
export function parseCsv(bytes: Buffer): ParsedDocument {
  const builder = new DocumentBuilder('csv');
  const { text } = decodeWithWarning(bytes, builder);
  const delimiter = detectDelimiter(text) ?? (/\t/.test(text.split('\n')[0] ?? '') ? '\t' : ',');
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, bom: true });
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new DocumentParseError('csv_invalid', `the CSV is malformed${e.lines ? ` at line ${e.lines}` : ''}: ${e.message}`, { cause: error });
  }
  const header = rows.length > 1 && looksLikeHeader(rows[0]) ? rows[0].map((c) => c.trim()) : null;
  for (const row of header ? rows.slice(1) : rows) {
    const text = header
      ? row
          .map((value, i) => [header[i] ?? `column ${i + 1}`, value.trim()] as const)
          .filter(([, value]) => value)
          .map(([name, value]) => `${name}: ${value}`)
          .join('\n')
      : row.map((c) => c.trim()).join(', ');
    builder.block('record', text);
  }
  return builder.build();
}
