import type { DocumentType } from '@llmp/contracts';
import { parseDocument } from './parse-document';
import { DocumentParseError } from './parse-error';
import type { Block, ParsedDocument } from './parsed-document';
import type { ZipLimits } from './zip';

export interface ParseRequest {
  id: number;
  type: DocumentType;
  bytes: Uint8Array;
  zipLimits: ZipLimits;
}

/** A block without its text, which is `text.slice(start, end)` of the document: sending it too would double what crosses the channel. */
export type BlockOnTheWire = Omit<Block, 'text'>;
export type ParsedOnTheWire = Omit<ParsedDocument, 'blocks'> & { blocks: BlockOnTheWire[] };

export type ParseResponse =
  | { kind: 'ready' }
  | { kind: 'parsed'; id: number; parsed: ParsedOnTheWire }
  | { kind: 'failed'; id: number; error: { code: string | null; message: string } };

const send = process.send?.bind(process);
if (!send) throw new Error('the parse worker runs only as a child process with an IPC channel');

process.on('message', async ({ id, type, bytes, zipLimits }: ParseRequest) => {
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const parsed = await parseDocument(buffer, type, { zipLimits });
    const blocks = parsed.blocks.map(({ text: _text, ...block }) => block);
    send({ kind: 'parsed', id, parsed: { ...parsed, blocks } } satisfies ParseResponse);
  } catch (error) {
    const code = error instanceof DocumentParseError ? error.code : null;
    send({ kind: 'failed', id, error: { code, message: (error as Error)?.message ?? String(error) } } satisfies ParseResponse);
  }
});
// An orphan has nobody to answer: the serving process is gone.
process.on('disconnect', () => process.exit(0));
// Tells the pool the parsers loaded: a worker that dies before this is broken, not its document.
send({ kind: 'ready' } satisfies ParseResponse);
