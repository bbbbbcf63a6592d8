import iconv from 'iconv-lite';
import { strToU8, zipSync } from 'fflate';
import { aDocx } from '../testing/docx-writer';
import { aPdf } from '../testing/pdf-writer';
import { sniffDocument } from './sniff';
import { bufferAccess } from './zip';

const sniff = (bytes: Buffer | string, filename: string, declaredType: string | null = null) =>
  sniffDocument({ file: bufferAccess(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes)), filename, declaredType });

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);

describe('sniffDocument', () => {
  it('decides binary formats by content and warns when the name disagrees', async () => {
    expect(await sniff(aPdf({ pages: [['x']] }), 'notes.docx')).toEqual({
      ok: true,
      type: 'pdf',
      mediaType: 'application/pdf',
      warnings: ['the name or Content-Type says DOCX but the content is PDF; processed as PDF'],
    });
    expect(await sniff(aDocx({ paragraphs: ['x'] }), 'report.bin', 'application/octet-stream')).toMatchObject({ ok: true, type: 'docx', warnings: [] });
  });

  it('refuses other binary formats whatever their name says', async () => {
    expect(await sniff(PNG, 'photo.txt', 'text/plain')).toMatchObject({ ok: false, status: 415, code: 'unsupported_type', message: expect.stringMatching(/^the content is a PNG image/) });
    const xlsx = Buffer.from(zipSync({ 'xl/workbook.xml': strToU8('<workbook/>') }));
    expect(await sniff(xlsx, 'sheet.docx')).toMatchObject({ ok: false, status: 415, message: expect.stringMatching(/an Excel workbook/) });
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    expect(await sniff(noise, 'data.txt')).toMatchObject({ ok: false, status: 415, message: expect.stringMatching(/binary data of an unknown type/) });
  });

  it('refuses a text file that claims to be a PDF', async () => {
    expect(await sniff('<html><body><p>Session expired</p></body></html>', 'invoice.pdf')).toMatchObject({
      ok: false,
      status: 415,
      code: 'content_mismatch',
      message: 'the name or Content-Type says PDF but the content is HTML; upload the real file or give it a matching name',
    });
  });

  it('refuses empty and whitespace-only files', async () => {
    expect(await sniff('', 'empty.txt')).toMatchObject({ ok: false, status: 400, code: 'empty_file', message: 'the file is empty (0 bytes)' });
    expect(await sniff(' \n\t\n', 'blank.md')).toMatchObject({ ok: false, status: 400, code: 'empty_file' });
  });

  it('refuses a .json file whose content is not JSON', async () => {
    expect(await sniff('name: value\nother: thing', 'config.json')).toMatchObject({
      ok: false,
      status: 400,
      code: 'invalid_json',
      message: 'the name or Content-Type says JSON but the content is not JSON: it starts with "name: value\\nother: thing"',
    });
  });

  it('tells text formats apart by content, using the name only to choose among them', async () => {
    expect(await sniff('<!DOCTYPE html><html><p>x</p></html>', 'page.txt')).toMatchObject({ type: 'html' });
    expect(await sniff('{"a": 1}', 'data')).toMatchObject({ type: 'json' });
    expect(await sniff('{"a": 1}\n{"a": 2}\n', 'rows')).toMatchObject({ type: 'jsonl' });
    expect(await sniff('[link](http://x) is a Markdown link\n# Title', 'readme')).toMatchObject({ type: 'markdown' });
    expect(await sniff('id,name,score\n1,ann,3\n2,bob,4\n3,cid,5\n', 'export')).toMatchObject({ type: 'csv' });
    expect(await sniff('Dear team, thanks. Best, me.', 'letter.csv')).toMatchObject({ type: 'csv' });
    expect(await sniff('# Not a heading here, a .txt file', 'notes.txt')).toMatchObject({ type: 'text' });
    expect(await sniff('Just words, in prose, with commas.\nAnd more words.', 'x')).toMatchObject({ type: 'text' });
  });

  it('recognises non-UTF-8 text as text', async () => {
    expect(await sniff(iconv.encode('Grüße aus Köln, schöne Größe.', 'windows-1252'), 'greeting.txt')).toMatchObject({ ok: true, type: 'text' });
    expect(await sniff(iconv.encode('Plain English text encoded as UTF-16 without a byte order mark.', 'utf-16le'), 'wide.txt')).toMatchObject({
      ok: true,
      type: 'text',
    });
  });

  it('accepts a valid text file of one, two or three bytes as text', async () => {
    for (const text of ['a', 'hi', 'yes']) {
      expect(await sniff(text, `${text}.txt`)).toEqual({ ok: true, type: 'text', mediaType: 'text/plain', warnings: [] });
    }
    expect(await sniff('ok', 'unnamed')).toMatchObject({ ok: true, type: 'text' });
  });

  it('types a file of thirty empty HTML comments in linear time', async () => {
    const started = performance.now();
    expect(await sniff('<!---->'.repeat(30), 'comments.txt')).toMatchObject({ ok: true, type: 'text' });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('still sees an HTML page behind an XML declaration and comments', async () => {
    const page = '<?xml version="1.0"?>\n<!-- generated -->\n<!-- twice -->\n<!DOCTYPE html><p>Hello</p>';
    expect(await sniff(page, 'page')).toMatchObject({ ok: true, type: 'html' });
  });
});
