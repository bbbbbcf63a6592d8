import { inflateRawSync } from 'node:zlib';
import type { RandomAccess } from '../blob-store/blob-store';
import { DocumentParseError } from './parse-error';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_EOCD_SEARCH = 22 + 0xffff;
const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;

export interface ZipLimits {
  entries: number;
  /** Bytes the archive may expand to, in all. */
  totalUncompressed: number;
  /** Bytes one XML part may expand to: the parser holds it, and a tree many times its size, in memory. */
  xmlPartUncompressed: number;
  /** Expanded size over archive size; office files are ~3–20, bombs thousands. */
  ratio: number;
}

/**
 * mammoth peaks at about 16 times the size of the XML it converts (a 16 MB
 * word/document.xml needs ~250 MB of heap, 32 MB does not fit in 256 MB), so
 * a part may be a sixteenth of the parser's heap.
 */
export function zipLimitsFor(memoryMb: number): ZipLimits {
  return {
    entries: 5000,
    totalUncompressed: 256 * 1024 * 1024,
    xmlPartUncompressed: Math.floor((memoryMb * 1024 * 1024) / 16),
    ratio: 100,
  };
}

/** The limits for the default 512 MB parser heap. */
export const ZIP_LIMITS: ZipLimits = zipLimitsFor(512);

/** Reads the central directory (names and sizes) without reading the entries. */
export async function readZipDirectory(file: RandomAccess, limits: ZipLimits = ZIP_LIMITS): Promise<ZipEntry[]> {
  const tailLength = Math.min(file.size, MAX_EOCD_SEARCH);
  const tail = await file.read(file.size - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new DocumentParseError('zip_corrupt', 'the ZIP container is damaged: its end-of-directory record is missing');
  const count = tail.readUInt16LE(at + 10);
  const size = tail.readUInt32LE(at + 12);
  const offset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    throw new DocumentParseError('zip_unsupported', 'ZIP64 archives are not supported; office documents are never that large');
  }
  if (count > limits.entries) {
    throw new DocumentParseError('zip_bomb', `the ZIP container holds ${count} entries, more than the ${limits.entries} allowed`);
  }
  if (size > MAX_DIRECTORY_BYTES || offset + size > file.size) {
    throw new DocumentParseError('zip_corrupt', 'the ZIP container is damaged: its directory lies outside the file');
  }
  const directory = await file.read(offset, size);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL) {
      throw new DocumentParseError('zip_corrupt', `the ZIP container is damaged: directory entry ${i + 1} is unreadable`);
    }
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    entries.push({
      method: directory.readUInt16LE(p + 10),
      compressedSize: directory.readUInt32LE(p + 20),
      uncompressedSize: directory.readUInt32LE(p + 24),
      localHeaderOffset: directory.readUInt32LE(p + 42),
      name: directory.toString('utf8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function bomb(message: string): DocumentParseError {
  return new DocumentParseError('zip_bomb', `refused as a decompression bomb: ${message}`);
}

/**
 * Checks that the archive expands to a sane size before any library
 * unpacks it: first the sizes the directory declares, then the real ones,
 * each entry inflated with a hard output cap so a lying header cannot make
 * it allocate more.
 */
const isXmlPart = (name: string) => /\.(?:xml|rels)$/i.test(name);

function tooLarge(entry: ZipEntry, limits: ZipLimits): DocumentParseError {
  return new DocumentParseError(
    'document_too_large',
    `the document is too large to convert: its part "${entry.name}" expands to ${entry.uncompressedSize} bytes, ` +
      `and at most ${limits.xmlPartUncompressed} bytes fit in the parser's memory; split the document into smaller files`,
  );
}

export function assertSafeZip(archive: Buffer, entries: ZipEntry[], limits: ZipLimits = ZIP_LIMITS): void {
  const declared = entries.reduce((n, e) => n + e.uncompressedSize, 0);
  if (declared > limits.totalUncompressed) {
    throw bomb(`it would expand to ${declared} bytes, more than the ${limits.totalUncompressed} allowed`);
  }
  if (declared > 1024 * 1024 && declared / Math.max(1, archive.length) > limits.ratio) {
    throw bomb(`it would expand ${Math.round(declared / archive.length)} times its size (at most ${limits.ratio})`);
  }
  const oversized = entries.find((e) => isXmlPart(e.name) && e.uncompressedSize > limits.xmlPartUncompressed);
  if (oversized) throw tooLarge(oversized, limits);
  let budget = limits.totalUncompressed;
  for (const entry of entries) {
    const at = entry.localHeaderOffset;
    if (at + 30 > archive.length || archive.readUInt32LE(at) !== LOCAL) {
      throw new DocumentParseError('zip_corrupt', `the ZIP container is damaged: entry "${entry.name}" is missing`);
    }
    const dataStart = at + 30 + archive.readUInt16LE(at + 26) + archive.readUInt16LE(at + 28);
    const data = archive.subarray(dataStart, dataStart + entry.compressedSize);
    let actual: number;
    if (entry.method === 0) {
      actual = data.length;
    } else if (entry.method === 8) {
      try {
        actual = inflateRawSync(data, { maxOutputLength: Math.min(budget, entry.uncompressedSize) + 1 }).length;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
          throw bomb(`entry "${entry.name}" expands beyond the ${entry.uncompressedSize} bytes it declares`);
        }
        throw new DocumentParseError('zip_corrupt', `the ZIP container is damaged: entry "${entry.name}" does not inflate (${(error as Error).message})`);
      }
    } else {
      throw new DocumentParseError('zip_unsupported', `entry "${entry.name}" uses compression method ${entry.method}, which office files never use`);
    }
    if (actual !== entry.uncompressedSize) {
      throw new DocumentParseError('zip_corrupt', `the ZIP container is damaged: entry "${entry.name}" holds ${actual} bytes but declares ${entry.uncompressedSize}`);
    }
    budget -= actual;
  }
}

export function bufferAccess(buffer: Buffer): RandomAccess {
  return { size: buffer.length, read: async (position, length) => buffer.subarray(position, position + length) };
}
