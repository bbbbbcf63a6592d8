/**
 * Splitting a byte stream into the pieces that hold one record each, without
 * ever holding more than one capped piece: a piece over the cap is counted
 * and dropped while the stream moves on, so one huge line costs no memory.
 */

/** One record's bytes, a piece that was too large, or a break that ends the stream. */
export type Segment =
  | { line: number; bytes: Uint8Array }
  | { line: number; oversize: number }
  | { line: number; fatal: string };

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const QUOTE = 0x22;

function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Drops a UTF-8 byte order mark at the very start of the stream, however the first chunks are cut. */
async function* withoutBom(source: ByteSource): AsyncGenerator<Buffer> {
  let head: Buffer | null = Buffer.alloc(0);
  for await (const raw of source) {
    const chunk = asBuffer(raw);
    if (head === null) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < 3 && [0xef, 0xbb, 0xbf].slice(0, head.length).every((b, i) => head![i] === b)) continue;
    const rest: Buffer = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
    head = null;
    if (rest.length) yield rest;
  }
  if (head?.length) yield head;
}

function joined(pieces: Buffer[], size: number): Buffer {
  const bytes = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, size);
  return bytes.length && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.subarray(0, bytes.length - 1) : bytes;
}

export interface SplitLinesOptions {
  /** Largest piece kept, in bytes. */
  maxBytes: number;
  /** CSV: a newline inside a quoted field does not end the record. */
  quoted?: boolean;
}

/**
 * Lines (JSONL), or CSV records when `quoted`: newlines inside double quotes
 * stay in the record. Lines end with LF or CRLF; blank lines are skipped but
 * still counted, so line numbers match what an editor shows.
 */
export async function* splitLines(source: ByteSource, options: SplitLinesOptions): AsyncGenerator<Segment> {
  for await (const batch of splitLineBatches(source, options)) yield* batch;
}

/** `splitLines`, with the segments of each input chunk handed over together: one await per chunk rather than per line. */
export async function* splitLineBatches(source: ByteSource, { maxBytes, quoted = false }: SplitLinesOptions): AsyncGenerator<Segment[]> {
  let pieces: Buffer[] = [];
  let size = 0;
  let line = 1;
  let newlinesInside = 0;
  let inQuotes = false;
  const emit = (): Segment | null => {
    let segment: Segment | null = null;
    if (size > maxBytes) segment = { line, oversize: size };
    else if (size > 0) {
      const bytes = joined(pieces, size);
      if (bytes.length) segment = { line, bytes };
    }
    line += newlinesInside + 1;
    pieces = [];
    size = 0;
    newlinesInside = 0;
    return segment;
  };
  for await (const chunk of withoutBom(source)) {
    const batch: Segment[] = [];
    let start = 0;
    while (start <= chunk.length) {
      let newline = chunk.indexOf(NEWLINE, start);
      if (quoted) {
        // A newline ends the record only where the quotes before it are balanced.
        let quote = chunk.indexOf(QUOTE, start);
        for (;;) {
          const limit = newline === -1 ? chunk.length : newline;
          while (quote !== -1 && quote < limit) {
            inQuotes = !inQuotes;
            quote = chunk.indexOf(QUOTE, quote + 1);
          }
          if (!inQuotes || newline === -1) break;
          if (size + (newline - start) > maxBytes) {
            // A runaway quote: end this record at the newline and read the next one afresh.
            inQuotes = false;
            break;
          }
          newlinesInside++;
          newline = chunk.indexOf(NEWLINE, newline + 1);
        }
      }
      const end = newline === -1 ? chunk.length : newline;
      if (end > start) {
        if (size + (end - start) <= maxBytes) pieces.push(chunk.subarray(start, end));
        else pieces = [];
        size += end - start;
      }
      if (newline === -1) break;
      const segment = emit();
      if (segment) batch.push(segment);
      start = newline + 1;
    }
    if (batch.length) yield batch;
  }
  const last = emit();
  if (last) yield [last];
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === CARRIAGE_RETURN || b === NEWLINE;

enum ArrayState {
  BeforeArray,
  FirstElementOrEnd,
  InElement,
  AfterElement,
  NextElement,
  Done,
}

/**
 * The elements of a top-level JSON array, one segment each, found by a byte
 * scanner that tracks strings and nesting; each element is then parsed on its
 * own, so a bad element is reported and the others are kept. A break in the
 * array itself (a missing comma, no closing bracket) ends the stream with a
 * `fatal` segment: what follows cannot be told apart reliably.
 */
export async function* splitJsonArray(source: ByteSource, { maxBytes }: { maxBytes: number }): AsyncGenerator<Segment> {
  let state = ArrayState.BeforeArray;
  let line = 1;
  let elementLine = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let scalar = false;
  let pieces: Buffer[] = [];
  let size = 0;

  const keep = (piece: Buffer) => {
    if (size + piece.length <= maxBytes) pieces.push(piece);
    else pieces = [];
    size += piece.length;
  };
  const finish = (): Segment => {
    const segment: Segment = size > maxBytes ? { line: elementLine, oversize: size } : { line: elementLine, bytes: pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, size) };
    pieces = [];
    size = 0;
    return segment;
  };
  const found = (b: number) => (b < 0x20 || b > 0x7e ? `byte 0x${b.toString(16)}` : `"${String.fromCharCode(b)}"`);

  for await (const chunk of withoutBom(source)) {
    let pieceStart = state === ArrayState.InElement ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (state === ArrayState.InElement) {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            if (depth === 0) {
              keep(chunk.subarray(pieceStart, i + 1));
              yield finish();
              state = ArrayState.AfterElement;
            }
          } else if (b === NEWLINE) line++;
          continue;
        }
        if (scalar && (b === COMMA || b === CLOSE_BRACKET || isSpace(b))) {
          keep(chunk.subarray(pieceStart, i));
          yield finish();
          state = ArrayState.AfterElement;
          i--;
          continue;
        }
        if (b === QUOTE) inString = true;
        else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
        else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
          depth--;
          if (depth <= 0) {
            keep(chunk.subarray(pieceStart, i + 1));
            yield finish();
            state = ArrayState.AfterElement;
          }
        } else if (b === NEWLINE) line++;
        continue;
      }
      if (b === NEWLINE) {
        line++;
        continue;
      }
      if (isSpace(b)) continue;
      if (state === ArrayState.BeforeArray) {
        if (b !== OPEN_BRACKET) {
          yield { line, fatal: `a JSON array must start with "[", found ${found(b)}` };
          return;
        }
        state = ArrayState.FirstElementOrEnd;
      } else if (state === ArrayState.AfterElement) {
        if (b === COMMA) state = ArrayState.NextElement;
        else if (b === CLOSE_BRACKET) state = ArrayState.Done;
        else {
          yield { line, fatal: `expected "," or "]" after the element, found ${found(b)}` };
          return;
        }
      } else if (state === ArrayState.Done) {
        yield { line, fatal: `unexpected ${found(b)} after the closing "]"` };
        return;
      } else if (state === ArrayState.FirstElementOrEnd && b === CLOSE_BRACKET) {
        state = ArrayState.Done;
      } else if (b === CLOSE_BRACKET || b === COMMA) {
        yield { line, fatal: `expected an element, found ${found(b)}` };
        return;
      } else {
        state = ArrayState.InElement;
        elementLine = line;
        pieceStart = i;
        inString = b === QUOTE;
        escaped = false;
        scalar = b !== QUOTE && b !== OPEN_BRACE && b !== OPEN_BRACKET;
        depth = scalar || inString ? 0 : 1;
      }
    }
    if (state === ArrayState.InElement) keep(chunk.subarray(pieceStart));
  }
  if (state === ArrayState.InElement && scalar) {
    yield finish();
    state = ArrayState.AfterElement;
  }
  if (![ArrayState.Done, ArrayState.BeforeArray].includes(state)) yield { line, fatal: 'the JSON array ends without its closing "]"' };
}
