import { inflateRawSync } from 'node:zlib';
import mammoth from 'mammoth';
import { htmlToDocument } from './html.parser';
import { DocumentParseError } from './parse-error';
import { DocumentBuilder, type ParsedDocument } from './parsed-document';
import { assertSafeZip, bufferAccess, readZipDirectory, ZIP_LIMITS, type ZipEntry, type ZipLimits } from './zip';

function entryText(archive: Buffer, entry: ZipEntry | undefined): string | null {
  if (!entry) return null;
  const at = entry.localHeaderOffset;
  const start = at + 30 + archive.readUInt16LE(at + 26) + archive.readUInt16LE(at + 28);
  const data = archive.subarray(start, start + entry.compressedSize);
  return (entry.method === 8 ? inflateRawSync(data) : data).toString('utf8');
}

function coreTitle(xml: string | null): string | null {
  const match = xml ? /<dc:title>([^<]*)<\/dc:title>/.exec(xml) : null;
  return match ? match[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim() || null : null;
}

/**
 * DOCX through mammoth, which maps Word's heading styles to `<h1>`…`<h6>`;
 * the archive is checked for decompression bombs first, and images are
 * never unpacked.
 */
export async function parseDocx(bytes: Buffer, limits: ZipLimits = ZIP_LIMITS): Promise<ParsedDocument> {
  const entries = await readZipDirectory(bufferAccess(bytes), limits);
  assertSafeZip(bytes, entries, limits);
  if (!entries.some((e) => e.name === 'word/document.xml')) {
    throw new DocumentParseError('docx_corrupt', 'the DOCX has no word/document.xml: it is not a Word document');
  }
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: bytes },
      { convertImage: mammoth.images.imgElement(async () => ({ src: '' })), ignoreEmptyParagraphs: true },
    );
    html = result.value;
  } catch (error) {
    throw new DocumentParseError('docx_corrupt', `the DOCX could not be read: ${(error as Error).message}`, { cause: error });
  }
  const builder = new DocumentBuilder('docx');
  htmlToDocument(`<body>${html}</body>`, builder);
  const title = coreTitle(entryText(bytes, entries.find((e) => e.name === 'docProps/core.xml')));
  return builder.build({ title });
}
