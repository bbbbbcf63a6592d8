import type { StoredChunk } from '../chunking/chunk';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The columns `binaryChunkRows` writes, in order. */
export const CHUNK_COPY_COLUMNS = [
  'id',
  'document_id',
  'knowledge_base_id',
  'ordinal',
  'text',
  'heading_path',
  'page_start',
  'page_end',
  'start_offset',
  'end_offset',
  'token_count',
  'tsv',
];

/** A buffer written front to back that doubles when full. */
class Writer {
  buffer: Buffer;
  at = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  room(bytes: number) {
    if (this.at + bytes <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(larger, 0, 0, this.at);
    this.buffer = larger;
  }

  int16(value: number) {
    this.room(2);
    this.at = this.buffer.writeInt16BE(value, this.at);
  }

  int32(value: number) {
    this.room(4);
    this.at = this.buffer.writeInt32BE(value, this.at);
  }

  /** A field: its length, then `write`'s bytes. */
  field(write: () => void) {
    this.room(4);
    const lengthAt = this.at;
    this.at += 4;
    write();
    this.buffer.writeInt32BE(this.at - lengthAt - 4, lengthAt);
  }

  text(value: string) {
    this.room(value.length * 3);
    this.at += this.buffer.write(value, this.at, 'utf8');
  }

  int4Field(value: number | null) {
    if (value === null) return this.int32(-1);
    this.int32(4);
    this.int32(value);
  }
}

/**
 * A `tsvector`'s text form, as `tsvectorout` prints it (`'lexeme':1,2B 'other'`,
 * a quote or backslash in a lexeme doubled), written in its binary form
 * (`tsvectorrecv`): the lexeme count, then per lexeme its UTF-8 bytes and a
 * NUL, its position count, and each position with its weight in the top two
 * bits. Only that printed form is read; anything else is a programming error
 * that the database refuses as a malformed value.
 */
function writeTsvector(out: Writer, tsv: string) {
  out.room(tsv.length * 3 + 4);
  const buffer = out.buffer;
  const countAt = out.at;
  let at = countAt + 4;
  let lexemes = 0;
  let i = 0;
  while (i < tsv.length) {
    i++;
    for (;;) {
      let code = tsv.charCodeAt(i);
      if (code === 39) {
        if (tsv.charCodeAt(i + 1) !== 39) {
          i++;
          break;
        }
        i++;
      } else if (code === 92) {
        code = tsv.charCodeAt(++i);
      }
      if (code < 0x80) {
        buffer[at++] = code;
        i++;
        continue;
      }
      const units = code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      at += buffer.write(tsv.slice(i, i + units), at, 'utf8');
      i += units;
    }
    buffer[at++] = 0;
    const positionsAt = at;
    at += 2;
    let positions = 0;
    if (tsv.charCodeAt(i) === 58) {
      i++;
      for (;;) {
        let position = 0;
        let code = tsv.charCodeAt(i);
        while (code >= 48 && code <= 57) {
          position = position * 10 + code - 48;
          code = tsv.charCodeAt(++i);
        }
        // Weights A, B and C are 3, 2 and 1 in the top bits; D (0) is not printed.
        if (code >= 65 && code <= 68) {
          position |= (68 - code) << 14;
          code = tsv.charCodeAt(++i);
        }
        buffer.writeUInt16BE(position, at);
        at += 2;
        positions++;
        if (code !== 44) break;
        i++;
      }
    }
    buffer.writeUInt16BE(positions, positionsAt);
    lexemes++;
    if (tsv.charCodeAt(i) === 32) i++;
  }
  buffer.writeInt32BE(lexemes, countAt);
  out.at = at;
}

/**
 * `chunks` as rows of `ingestion.chunks` (`CHUNK_COPY_COLUMNS`) in Postgres'
 * binary COPY format, each with its lexemes (`lexemes[i]`, a `tsvector`'s
 * text form): the database stores every value as given and parses none of
 * them, which on PGlite (its parsers run as WebAssembly) halves the cost
 * of writing a chunk.
 */
export function binaryChunkRows(chunks: StoredChunk[], lexemes: string[]): Uint8Array {
  const out = new Writer(SIGNATURE.length + 10 + chunks.reduce((n, c, i) => n + 120 + c.text.length + lexemes[i].length, 0));
  out.room(SIGNATURE.length);
  out.at += SIGNATURE.copy(out.buffer, 0);
  // Flags, then the length of the header extension: both zero.
  out.int32(0);
  out.int32(0);
  chunks.forEach((chunk, i) => {
    out.int16(CHUNK_COPY_COLUMNS.length);
    out.field(() => out.text(chunk.id));
    out.field(() => out.text(chunk.documentId));
    out.field(() => out.text(chunk.knowledgeBaseId));
    out.int4Field(chunk.ordinal);
    out.field(() => out.text(chunk.text));
    out.field(() => {
      // jsonb's binary form: a version byte, then the JSON text.
      out.room(1);
      out.buffer[out.at++] = 1;
      out.text(JSON.stringify(chunk.headingPath));
    });
    out.int4Field(chunk.pageStart);
    out.int4Field(chunk.pageEnd);
    out.int4Field(chunk.start);
    out.int4Field(chunk.end);
    out.int4Field(chunk.tokenCount);
    out.field(() => writeTsvector(out, lexemes[i]));
  });
  out.int16(-1);
  return out.buffer.subarray(0, out.at);
}
