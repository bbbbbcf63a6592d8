import chardet from 'chardet';
import iconv from 'iconv-lite';

export interface DecodedText {
  text: string;
  /** The encoding the bytes were read as, e.g. `utf-8`, `windows-1252`, `utf-16le`. */
  encoding: string;
  /** True when the encoding was guessed from byte statistics rather than known (BOM or valid UTF-8). */
  guessed: boolean;
}

const BOMS: Array<{ bytes: number[]; encoding: string }> = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe, 0x00, 0x00], encoding: 'utf-32le' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], encoding: 'utf-32be' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

/** How much of the text byte statistics are computed on. */
const SAMPLE_BYTES = 64 * 1024;

export function bomEncoding(bytes: Uint8Array): { encoding: string; length: number } | null {
  for (const bom of BOMS) {
    if (bom.bytes.every((b, i) => bytes[i] === b)) return { encoding: bom.encoding, length: bom.bytes.length };
  }
  return null;
}

/**
 * UTF-16 without a BOM, which byte statistics libraries miss: text in Latin
 * scripts has a NUL in every other byte, on the same side.
 */
export function utf16WithoutBom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const sample = bytes.subarray(0, Math.min(bytes.length, 8192) & ~1);
  if (sample.length < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i += 2) {
    if (sample[i] === 0) evenNul++;
    if (sample[i + 1] === 0) oddNul++;
  }
  const pairs = sample.length / 2;
  if (oddNul / pairs > 0.4 && evenNul / pairs < 0.05) return 'utf-16le';
  if (evenNul / pairs > 0.4 && oddNul / pairs < 0.05) return 'utf-16be';
  return null;
}

function isUtf8(bytes: Uint8Array, partial: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: partial });
    return true;
  } catch {
    return false;
  }
}

/** Candidate encodings from byte statistics, best first, limited to those we can decode. */
export function guessEncodings(bytes: Uint8Array): Array<{ encoding: string; confidence: number }> {
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  return chardet
    .analyse(sample)
    .filter((match) => iconv.encodingExists(match.name))
    .map((match) => ({ encoding: match.name.toLowerCase(), confidence: match.confidence }));
}

function strip(text: string): string {
  // A BOM decoded as text, and NULs, are never content.
  return text.replace(/^\ufeff/, '').replaceAll('\u0000', '');
}

/**
 * Decodes bytes whose encoding nobody told us: a BOM wins, then valid UTF-8,
 * then the best statistical guess, and windows-1252 (which maps every byte)
 * when nothing else fits. `partial` tolerates a character cut at the end, for
 * a file's first bytes.
 */
export function decodeText(bytes: Uint8Array, { partial = false }: { partial?: boolean } = {}): DecodedText {
  const bom = bomEncoding(bytes);
  if (bom) {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset + bom.length, bytes.byteLength - bom.length);
    return { text: strip(iconv.decode(body, bom.encoding)), encoding: bom.encoding, guessed: false };
  }
  if (bytes.subarray(0, SAMPLE_BYTES).includes(0)) {
    // UTF-16 text without a BOM is valid UTF-8 too (NUL is a character): ask the statistics first.
    const wide = utf16WithoutBom(bytes) ?? guessEncodings(bytes).find((c) => /^utf-(16|32)/.test(c.encoding))?.encoding;
    if (wide) {
      return { text: strip(iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), wide)), encoding: wide, guessed: true };
    }
  }
  if (isUtf8(bytes, partial)) {
    return { text: strip(new TextDecoder('utf-8').decode(bytes, { stream: partial })), encoding: 'utf-8', guessed: false };
  }
  const [best] = guessEncodings(bytes).filter((c) => c.encoding !== 'utf-8');
  const encoding = best?.encoding ?? 'windows-1252';
  return { text: strip(iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding)), encoding, guessed: true };
}

/**
 * Binary rather than text: NUL bytes (unless the statistics say UTF-16/32)
 * or many control characters.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  if (bomEncoding(bytes)) return false;
  const sample = bytes.subarray(0, Math.min(bytes.length, 8192));
  let nul = 0;
  let control = 0;
  for (const b of sample) {
    if (b === 0) nul++;
    else if ((b < 0x09 || (b > 0x0d && b < 0x20)) && b !== 0x1b) control++;
  }
  if (nul > 0) {
    const wide = utf16WithoutBom(sample) !== null || guessEncodings(sample).some((c) => /^utf-(16|32)/.test(c.encoding) && c.confidence >= 50);
    return !wide;
  }
  return control / sample.length > 0.1;
}
