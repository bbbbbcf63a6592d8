import path from 'node:path';
import type { DocumentType } from '@llmp/contracts';
import type { RandomAccess } from '../blob-store/blob-store';
import { DocumentParseError } from './parse-error';
import { decodeText, looksBinary } from './text-decoding';
import { readZipDirectory } from './zip';

export const MEDIA_TYPES: Record<DocumentType, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  html: 'text/html',
  markdown: 'text/markdown',
  text: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  jsonl: 'application/jsonl',
};

const LABELS: Record<DocumentType, string> = {
  pdf: 'PDF',
  docx: 'DOCX',
  html: 'HTML',
  markdown: 'Markdown',
  text: 'plain text',
  csv: 'CSV',
  json: 'JSON',
  jsonl: 'JSON Lines',
};

export const SUPPORTED = 'PDF, DOCX, HTML, Markdown, plain text, CSV, JSON and JSON Lines';

/** What a name or Content-Type claims: one of ours, or another format by label. */
type Claim = { type: DocumentType } | { other: string } | null;

const EXTENSIONS: Record<string, Claim> = {
  '.pdf': { type: 'pdf' },
  '.docx': { type: 'docx' },
  '.html': { type: 'html' },
  '.htm': { type: 'html' },
  '.xhtml': { type: 'html' },
  '.md': { type: 'markdown' },
  '.markdown': { type: 'markdown' },
  '.txt': { type: 'text' },
  '.text': { type: 'text' },
  '.log': { type: 'text' },
  '.csv': { type: 'csv' },
  '.tsv': { type: 'csv' },
  '.json': { type: 'json' },
  '.jsonl': { type: 'jsonl' },
  '.ndjson': { type: 'jsonl' },
  '.doc': { other: 'a legacy Word document (.doc)' },
  '.xls': { other: 'a legacy Excel workbook (.xls)' },
  '.xlsx': { other: 'an Excel workbook' },
  '.pptx': { other: 'a PowerPoint presentation' },
  '.odt': { other: 'an OpenDocument text' },
  '.rtf': { other: 'an RTF document' },
  '.png': { other: 'a PNG image' },
  '.jpg': { other: 'a JPEG image' },
  '.jpeg': { other: 'a JPEG image' },
  '.gif': { other: 'a GIF image' },
  '.zip': { other: 'a ZIP archive' },
  '.exe': { other: 'a Windows executable' },
};

const CONTENT_TYPES: Record<string, DocumentType> = {
  'application/pdf': 'pdf',
  [MEDIA_TYPES.docx]: 'docx',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'application/json': 'json',
  'application/jsonl': 'jsonl',
  'application/x-ndjson': 'jsonl',
  'application/x-jsonlines': 'jsonl',
};

const SIGNATURES: Array<{ label: string; test: (b: Buffer) => boolean }> = [
  { label: 'a PNG image', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { label: 'a JPEG image', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { label: 'a GIF image', test: (b) => b.toString('latin1', 0, 4) === 'GIF8' },
  { label: 'a WebP image', test: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
  { label: 'a WAV recording', test: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WAVE' },
  { label: 'a TIFF image', test: (b) => ['II*\0', 'MM\0*'].includes(b.toString('latin1', 0, 4)) },
  { label: 'a gzip archive', test: (b) => b[0] === 0x1f && b[1] === 0x8b },
  { label: 'a bzip2 archive', test: (b) => b.toString('latin1', 0, 3) === 'BZh' && b[3] >= 0x31 && b[3] <= 0x39 },
  { label: 'an xz archive', test: (b) => b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) },
  { label: 'a 7-Zip archive', test: (b) => b.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) },
  { label: 'a RAR archive', test: (b) => b.toString('latin1', 0, 4) === 'Rar!' },
  { label: 'a Zstandard archive', test: (b) => b.readUInt32LE(0) === 0xfd2fb528 },
  { label: 'an ELF executable', test: (b) => b.toString('latin1', 0, 4) === '\x7fELF' },
  { label: 'a Windows executable', test: (b) => b.toString('latin1', 0, 2) === 'MZ' && b.length >= 64 },
  { label: 'a Mach-O executable', test: (b) => [0xfeedfacf, 0xfeedface, 0xcffaedfe, 0xcefaedfe].includes(b.readUInt32BE(0)) },
  { label: 'a Java class or universal binary', test: (b) => b.readUInt32BE(0) === 0xcafebabe },
  { label: 'a WebAssembly module', test: (b) => b.toString('latin1', 0, 4) === '\0asm' },
  { label: 'an SQLite database', test: (b) => b.toString('latin1', 0, 16) === 'SQLite format 3\0' },
  { label: 'an MP3 recording', test: (b) => b.toString('latin1', 0, 3) === 'ID3' },
  { label: 'an Ogg stream', test: (b) => b.toString('latin1', 0, 4) === 'OggS' },
  { label: 'a FLAC recording', test: (b) => b.toString('latin1', 0, 4) === 'fLaC' },
  { label: 'an MP4 or QuickTime video', test: (b) => b.toString('latin1', 4, 8) === 'ftyp' },
  { label: 'a Matroska or WebM video', test: (b) => b.readUInt32BE(0) === 0x1a45dfa3 },
  { label: 'a legacy Microsoft Office file (.doc/.xls/.ppt); save it as DOCX or PDF', test: (b) => b.readUInt32BE(0) === 0xd0cf11e0 && b.readUInt32BE(4) === 0xa1b11ae1 },
  { label: 'an RTF document; save it as DOCX or PDF', test: (b) => b.toString('latin1', 0, 5) === '{\\rtf' },
  { label: 'a PostScript file', test: (b) => b.toString('latin1', 0, 4) === '%!PS' },
];

export type Sniffed =
  | { ok: true; type: DocumentType; mediaType: string; warnings: string[] }
  | { ok: false; status: 400 | 415; code: string; message: string };

const HEAD_BYTES = 64 * 1024;

function claimOf(filename: string, declaredType: string | null): Claim {
  const ext = path.extname(filename).toLowerCase();
  if (ext && EXTENSIONS[ext]) return EXTENSIONS[ext];
  const mime = declaredType?.split(';')[0].trim().toLowerCase();
  if (mime && CONTENT_TYPES[mime]) return { type: CONTENT_TYPES[mime] };
  return null;
}

function describeClaim(claim: Claim): string {
  if (!claim) return 'nothing';
  return 'type' in claim ? LABELS[claim.type] : claim.other;
}

const JSON_START = /^(\{\s*("|\})|\[\s*([{["\-0-9\]]|true|false|null))/;

function looksLikeJson(text: string): boolean {
  return JSON_START.test(text);
}

function isJsonLines(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim());
  if (lines.length < 2) return false;
  try {
    JSON.parse(lines[0]);
    return /^\s*[[{]/.test(lines[1]);
  } catch {
    return false;
  }
}

/** Index just past a run of whitespace starting at `at`. */
function skipSpace(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at])) at++;
  return at;
}

function startsWithIgnoreCase(text: string, at: number, prefix: string): boolean {
  return text.slice(at, at + prefix.length).toLowerCase() === prefix;
}

/**
 * An HTML page may open with an XML declaration and comments before its
 * doctype. They are skipped by scanning forward, once, never by a pattern
 * that could retry each comment in several ways.
 */
function looksLikeHtml(text: string): boolean {
  const start = text.slice(0, 4096);
  let at = 0;
  if (start.startsWith('<?xml')) {
    const end = start.indexOf('>', 5);
    if (end < 0) return false;
    at = skipSpace(start, end + 1);
  }
  while (start.startsWith('<!--', at)) {
    const end = start.indexOf('-->', at + 4);
    if (end < 0) break;
    at = skipSpace(start, end + 3);
  }
  if (startsWithIgnoreCase(start, at, '<!doctype html')) return true;
  if (/^<html[\s>]/i.test(start)) return true;
  return start.startsWith('<') && /<(?:head|body|title|p|div|h[1-6]|article|main)[\s>]/i.test(start);
}

/** Same count of a delimiter (outside quotes) on at least three lines. */
export function detectDelimiter(text: string): string | null {
  const lines = text.split('\n').filter((l) => l.trim()).slice(0, 10);
  if (lines.length < 3) return null;
  let best: { delimiter: string; count: number } | null = null;
  for (const delimiter of [',', '\t', ';', '|']) {
    const counts = lines.map((line) => {
      let n = 0;
      let quoted = false;
      for (const ch of line) {
        if (ch === '"') quoted = !quoted;
        else if (ch === delimiter && !quoted) n++;
      }
      return n;
    });
    // The last sampled line may be cut short by the head limit.
    const full = counts.slice(0, -1);
    const count = full[0];
    if (count >= (delimiter === '\t' ? 1 : 2) && full.every((c) => c === count) && (!best || count > best.count)) {
      best = { delimiter, count };
    }
  }
  return best?.delimiter ?? null;
}

function looksLikeMarkdown(text: string): boolean {
  return /^ {0,3}#{1,6}\s+\S/m.test(text) || /^ {0,3}(```|~~~)/m.test(text) || /^\S.*\n(=+|-{3,})\s*$/m.test(text);
}

function reject(status: 400 | 415, code: string, message: string): Sniffed {
  return { ok: false, status, code, message };
}

/**
 * Decides a file's type from its content. The name and Content-Type are
 * only consulted to pick among text formats, to warn when they disagree,
 * and to refuse a text file that claims to be a binary format.
 */
export async function sniffDocument({ file, filename, declaredType }: { file: RandomAccess; filename: string; declaredType: string | null }): Promise<Sniffed> {
  if (file.size === 0) return reject(400, 'empty_file', 'the file is empty (0 bytes)');
  const head = await file.read(0, HEAD_BYTES);
  const claim = claimOf(filename, declaredType);
  const accept = (type: DocumentType, warnings: string[] = []): Sniffed => {
    if (claim && !('type' in claim && claim.type === type)) {
      warnings.push(`the name or Content-Type says ${describeClaim(claim)} but the content is ${LABELS[type]}; processed as ${LABELS[type]}`);
    }
    return { ok: true, type, mediaType: MEDIA_TYPES[type], warnings };
  };

  if (head.subarray(0, 1024).includes('%PDF-')) return accept('pdf');
  // A file of a few bytes is too short for any signature: read nothing past its end.
  const magic = head.length >= 4 ? head.readUInt32LE(0) : -1;
  if (magic === 0x04034b50 || magic === 0x06054b50) {
    let names: string[];
    try {
      names = (await readZipDirectory(file)).map((e) => e.name);
    } catch (error) {
      const reason = error instanceof DocumentParseError ? error.message : 'its directory is unreadable';
      return reject(415, 'unsupported_type', `the content is a ZIP container that cannot be read (${reason}); supported types: ${SUPPORTED}`);
    }
    if (names.includes('word/document.xml')) return accept('docx');
    const label = names.includes('xl/workbook.xml')
      ? 'an Excel workbook'
      : names.includes('ppt/presentation.xml')
        ? 'a PowerPoint presentation'
        : names.includes('mimetype')
          ? 'an OpenDocument file'
          : 'a ZIP archive';
    return reject(415, 'unsupported_type', `the content is ${label}, which is not a supported document type (supported: ${SUPPORTED})`);
  }
  if (head.length >= 8) {
    const signature = SIGNATURES.find((s) => s.test(head));
    if (signature) return reject(415, 'unsupported_type', `the content is ${signature.label}, which is not a supported document type (supported: ${SUPPORTED})`);
  }
  if (looksBinary(head)) {
    return reject(415, 'unsupported_type', `the content is binary data of an unknown type, not text or a supported document (supported: ${SUPPORTED})`);
  }

  const { text: decoded } = decodeText(head, { partial: file.size > head.length });
  const text = decoded.replace(/\r\n?/g, '\n').trimStart();
  if (!text.trim()) return reject(400, 'empty_file', 'the file contains only whitespace');
  if (claim && ('other' in claim || claim.type === 'pdf' || claim.type === 'docx')) {
    const what = looksLikeHtml(text) ? 'HTML' : 'plain text';
    return reject(415, 'content_mismatch', `the name or Content-Type says ${describeClaim(claim)} but the content is ${what}; upload the real file or give it a matching name`);
  }
  const claimed = claim && 'type' in claim ? claim.type : null;
  if (looksLikeHtml(text)) return accept('html');
  if (looksLikeJson(text)) return accept(claimed === 'jsonl' || (claimed !== 'json' && isJsonLines(text)) ? 'jsonl' : 'json');
  if (claimed === 'json' || claimed === 'jsonl') {
    const preview = JSON.stringify(text.slice(0, 30));
    return reject(400, 'invalid_json', `the name or Content-Type says ${LABELS[claimed]} but the content is not JSON: it starts with ${preview}`);
  }
  if (claimed === 'csv' || (!claimed && detectDelimiter(text))) return accept('csv');
  if (claimed === 'markdown' || (claimed !== 'text' && looksLikeMarkdown(text))) return accept('markdown');
  return accept('text');
}
