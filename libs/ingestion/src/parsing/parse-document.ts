import type { DocumentType } from '@llmp/contracts';
import { parseCsv } from './csv.parser';
import { parseDocx } from './docx.parser';
import { parseHtml } from './html.parser';
import { parseJsonDocument, parseJsonLines } from './json.parser';
import { parseMarkdown } from './markdown.parser';
import { DocumentParseError } from './parse-error';
import type { ParsedDocument } from './parsed-document';
import { parsePdf } from './pdf.parser';
import { parseText } from './text.parser';
import type { ZipLimits } from './zip';

/**
 * Turns a file's bytes into blocks of text; throws `DocumentParseError`
 * when the file is the problem. Parsers only read the bytes they are given,
 * so anything they throw (a stack overflow on absurd nesting, a library's
 * own error) is about the file too, and is reported as such.
 */
export interface ParseOptions {
  signal?: AbortSignal;
  /** How far a DOCX may expand; sized to the parser's memory. */
  zipLimits?: ZipLimits;
}

export async function parseDocument(bytes: Buffer, type: DocumentType, { signal, zipLimits }: ParseOptions = {}): Promise<ParsedDocument> {
  let parsed: ParsedDocument;
  try {
    parsed = await parseAs(bytes, type, signal, zipLimits);
  } catch (error) {
    if (error instanceof DocumentParseError || signal?.aborted) throw error;
    throw new DocumentParseError('unreadable', `the ${type.toUpperCase()} file could not be read: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  if (!parsed.blocks.length) throw new DocumentParseError('no_text', 'no text could be extracted from the file');
  return parsed;
}

function parseAs(bytes: Buffer, type: DocumentType, signal: AbortSignal | undefined, zipLimits: ZipLimits | undefined): Promise<ParsedDocument> {
  return (async () => {
    switch (type) {
      case 'pdf':
        return parsePdf(bytes, { signal });
      case 'docx':
        return parseDocx(bytes, zipLimits);
      case 'html':
        return parseHtml(bytes);
      case 'markdown':
        return parseMarkdown(bytes);
      case 'text':
        return parseText(bytes);
      case 'csv':
        return parseCsv(bytes);
      case 'json':
        return parseJsonDocument(bytes);
      case 'jsonl':
        return parseJsonLines(bytes);
    }
  })();
}
