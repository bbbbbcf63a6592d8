import iconv from 'iconv-lite';
import { aDocx, aDocxBomb } from '../testing/docx-writer';
import { aPdf } from '../testing/pdf-writer';
import { parseDocument } from './parse-document';
import type { ParsedDocument } from './parsed-document';

function expectExactOffsets(doc: ParsedDocument) {
  for (const block of doc.blocks) expect(doc.text.slice(block.start, block.end)).toBe(block.text);
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('parseDocument', () => {
  describe('PDF', () => {
    it('keeps page numbers, paragraphs and larger-font headings', async () => {
      const pdf = aPdf({
        title: 'Field Manual',
        pages: [
          [{ text: 'Installing the pump', size: 20 }, 'Bolt the pump to the frame.', 'Tighten each bolt to 40 Nm.', '', 'Check for leaks afterwards.'],
          [{ text: 'Maintenance', size: 20 }, 'Replace the seals every 2000 hours.'],
        ],
      });
      const doc = await parseDocument(pdf, 'pdf');
      expect(doc).toMatchObject({ type: 'pdf', title: 'Field Manual', pageCount: 2 });
      expectExactOffsets(doc);
      expect(doc.blocks.map((b) => [b.kind, b.page, b.text])).toEqual([
        ['heading', 1, 'Installing the pump'],
        ['paragraph', 1, 'Bolt the pump to the frame.\nTighten each bolt to 40 Nm.'],
        ['paragraph', 1, 'Check for leaks afterwards.'],
        ['heading', 2, 'Maintenance'],
        ['paragraph', 2, 'Replace the seals every 2000 hours.'],
      ]);
      expect(doc.blocks[4].headingPath).toEqual(['Maintenance']);
    });

    it('refuses a password-protected PDF with a reason a person can act on', async () => {
      await expect(parseDocument(aPdf({ pages: [['secret']], encryptedWithUnknownPassword: true }), 'pdf')).rejects.toMatchObject({
        code: 'pdf_encrypted',
        message: expect.stringMatching(/password-protected; remove the password/),
      });
    });

    it('refuses a damaged PDF', async () => {
      const broken = Buffer.concat([aPdf({ pages: [['x']] }).subarray(0, 60), Buffer.from('garbage garbage')]);
      await expect(parseDocument(broken, 'pdf')).rejects.toMatchObject({ code: 'pdf_corrupt', message: expect.stringMatching(/^the PDF is damaged/) });
    });

    it('says so when a PDF has no text layer', async () => {
      await expect(parseDocument(aPdf({ pages: [[]] }), 'pdf')).rejects.toMatchObject({ code: 'no_text', message: expect.stringMatching(/no text layer/) });
    });
  });

  describe('DOCX', () => {
    it('keeps Word headings as the heading path and reads the title', async () => {
      const docx = aDocx({
        title: 'Onboarding',
        paragraphs: [
          { heading: 1, text: 'First week' },
          'Collect your badge at reception.',
          { heading: 2, text: 'Laptop' },
          'IT hands out laptops on Tuesdays & Thursdays.',
          { heading: 1, text: 'Benefits' },
          'Dental cover starts after 90 days.',
        ],
      });
      const doc = await parseDocument(docx, 'docx');
      expectExactOffsets(doc);
      expect(doc.title).toBe('Onboarding');
      expect(doc.blocks.map((b) => [b.kind, b.headingPath.join(' > '), b.text])).toEqual([
        ['heading', 'First week', 'First week'],
        ['paragraph', 'First week', 'Collect your badge at reception.'],
        ['heading', 'First week > Laptop', 'Laptop'],
        ['paragraph', 'First week > Laptop', 'IT hands out laptops on Tuesdays & Thursdays.'],
        ['heading', 'Benefits', 'Benefits'],
        ['paragraph', 'Benefits', 'Dental cover starts after 90 days.'],
      ]);
    });

    it('refuses a zip bomb by its declared expansion', async () => {
      await expect(parseDocument(aDocxBomb({ bytes: 4 * 1024 * 1024 }), 'docx')).rejects.toMatchObject({
        code: 'zip_bomb',
        message: expect.stringMatching(/decompression bomb: it would expand \d+ times/),
      });
    });

    it('refuses a zip bomb that lies about its size, without inflating past the lie', async () => {
      await expect(parseDocument(aDocxBomb({ bytes: 2 * 1024 * 1024, lie: true }), 'docx')).rejects.toMatchObject({
        code: 'zip_bomb',
        message: expect.stringMatching(/entry "word\/document.xml" expands beyond the 1000 bytes it declares/),
      });
    });

    it('refuses a truncated DOCX', async () => {
      const docx = aDocx({ paragraphs: ['hello'] });
      await expect(parseDocument(docx.subarray(0, docx.length - 30), 'docx')).rejects.toMatchObject({ code: 'zip_corrupt' });
    });
  });

  describe('HTML', () => {
    it('keeps the main text and its headings, and drops scripts, styles and navigation', async () => {
      const html = `<!doctype html><html><head><title>Release notes</title><style>p { color: red }</style>
        <script>var secret = "do not index";</script></head>
        <body><nav><a href="/">Home</a> | <a href="/docs">Docs</a></nav>
        <main><h1>Version 2.0</h1><p>Faster   uploads
          and <b>streaming</b>&nbsp;parsers.</p>
          <h2>Breaking changes</h2><ul><li>Node 20 required</li><li>Config moved to <code>LLMP_*</code></li></ul>
          <table><tr><th>Area</th><th>Change</th></tr><tr><td>API</td><td>v2 paths</td></tr></table>
          <div hidden>hidden text</div><noscript>enable JS</noscript></main>
        <footer>© 2026</footer></body></html>`;
      const doc = await parseDocument(utf8(html), 'html');
      expectExactOffsets(doc);
      expect(doc.title).toBe('Release notes');
      expect(doc.blocks.map((b) => [b.kind, b.headingPath.join(' > '), b.text])).toEqual([
        ['heading', 'Version 2.0', 'Version 2.0'],
        ['paragraph', 'Version 2.0', 'Faster uploads and streaming parsers.'],
        ['heading', 'Version 2.0 > Breaking changes', 'Breaking changes'],
        ['list', 'Version 2.0 > Breaking changes', 'Node 20 required'],
        ['list', 'Version 2.0 > Breaking changes', 'Config moved to LLMP_*'],
        ['table', 'Version 2.0 > Breaking changes', 'Area | Change\nAPI | v2 paths'],
      ]);
      expect(doc.text).not.toMatch(/secret|color|Home|hidden text|enable JS|©/);
    });

    it('reports HTML nested too deeply to walk as a problem of the file', async () => {
      const deep = `<html><body>${'<div>'.repeat(20_000)}deep${'</div>'.repeat(20_000)}</body></html>`;
      await expect(parseDocument(utf8(deep), 'html')).rejects.toMatchObject({
        code: 'unreadable',
        message: expect.stringMatching(/^the HTML file could not be read: Maximum call stack size exceeded/),
      });
    });
  });

  describe('Markdown', () => {
    it('reads ATX and setext headings, keeps fenced code whole and takes the title from front matter', async () => {
      const md = [
        '---',
        'title: "Deploy guide"',
        '---',
        'Staging',
        '=======',
        '',
        'Run the stage target.',
        '',
        '## Rollback ##',
        '',
        '```sh',
        '# not a heading',
        'npx nx run deploy:rollback',
        '```',
        '',
        '- one',
        '- two',
      ].join('\n');
      const doc = await parseDocument(utf8(md), 'markdown');
      expectExactOffsets(doc);
      expect(doc.title).toBe('Deploy guide');
      expect(doc.blocks.map((b) => [b.kind, b.headingPath.join(' > '), b.text])).toEqual([
        ['heading', 'Staging', 'Staging'],
        ['paragraph', 'Staging', 'Run the stage target.'],
        ['heading', 'Staging > Rollback', 'Rollback'],
        ['code', 'Staging > Rollback', '# not a heading\nnpx nx run deploy:rollback'],
        ['list', 'Staging > Rollback', '- one\n- two'],
      ]);
    });

    it('reads a 3 KB heading line that cannot close in linear time', async () => {
      const started = performance.now();
      const doc = await parseDocument(utf8(`#${' '.repeat(3000)}\u2028\n\nBody text.`), 'markdown');
      expect(performance.now() - started).toBeLessThan(500);
      expect(doc.blocks.map((b) => b.kind)).toEqual(['paragraph']);
    });

    it('trims a code line of 60,000 spaces in linear time', async () => {
      const started = performance.now();
      const doc = await parseDocument(utf8(`\`\`\`\n${' '.repeat(60_000)}x\n\`\`\``), 'markdown');
      expect(performance.now() - started).toBeLessThan(500);
      expect(doc.blocks).toMatchObject([{ kind: 'code', text: `${' '.repeat(60_000)}x` }]);
    });

    it('drops the closing run of an ATX heading and keeps #s that belong to the text', async () => {
      const doc = await parseDocument(utf8('# C# basics #\n\n## Issue #42\n\n#hashtag'), 'markdown');
      expect(doc.blocks.map((b) => [b.kind, b.text])).toEqual([
        ['heading', 'C# basics'],
        ['heading', 'Issue #42'],
        ['paragraph', '#hashtag'],
      ]);
    });
  });

  describe('plain text', () => {
    it('detects a legacy 8-bit encoding and says it guessed', async () => {
      const text = 'Café crème à la française, s’il vous plaît. Größe: 10 €.\n\nZweiter Absatz über Übergrößen.';
      const doc = await parseDocument(iconv.encode(text, 'windows-1252'), 'text');
      expect(doc.text).toBe(text);
      expect(doc.warnings).toEqual([expect.stringMatching(/not UTF-8; it was read as (windows-1252|iso-8859-1)/)]);
      expect(doc.blocks).toHaveLength(2);
    });

    it('reads UTF-16 with and without a byte order mark', async () => {
      const text = 'Zürich – 東京 – Москва\n\nsecond paragraph';
      const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]);
      expect((await parseDocument(withBom, 'text')).text).toBe(text);
      const english = 'Plain English text without any byte order mark, long enough for statistics.\n\nAnother paragraph follows here.';
      const bare = await parseDocument(iconv.encode(english, 'utf-16le'), 'text');
      expect(bare.text).toBe(english);
      expect(bare.warnings).toEqual([expect.stringMatching(/read as utf-16le/)]);
    });
  });

  describe('CSV and JSON', () => {
    it('turns CSV rows into records named by the header', async () => {
      const doc = await parseDocument(utf8('city,country,population\nLyon,France,522000\n"Basel, BS",Switzerland,173000\n'), 'csv');
      expectExactOffsets(doc);
      expect(doc.blocks.map((b) => b.text)).toEqual([
        'city: Lyon\ncountry: France\npopulation: 522000',
        'city: Basel, BS\ncountry: Switzerland\npopulation: 173000',
      ]);
    });

    it('reports the line of a malformed CSV', async () => {
      await expect(parseDocument(utf8('a,b\n1,2\n3,"unterminated\n'), 'csv')).rejects.toMatchObject({
        code: 'csv_invalid',
        message: expect.stringMatching(/malformed/),
      });
    });

    it('makes sections of nested JSON members and records of array elements', async () => {
      const doc = await parseDocument(utf8(JSON.stringify({ name: 'pumps', models: [{ id: 'P1', kw: 3 }, { id: 'P2', kw: 5.5 }] }, null, 2)), 'json');
      expectExactOffsets(doc);
      expect(doc.blocks.map((b) => [b.kind, b.headingPath.join(' > '), b.text])).toEqual([
        ['heading', 'models', 'models'],
        ['record', 'models', 'id: P1\nkw: 3'],
        ['record', 'models', 'id: P2\nkw: 5.5'],
        ['record', 'models', 'name: pumps'],
      ]);
    });

    it('says where JSON breaks, in lines and columns', async () => {
      await expect(parseDocument(utf8('{\n  "a": 1,\n  "b": oops\n}'), 'json')).rejects.toMatchObject({
        code: 'invalid_json',
        message: expect.stringMatching(/^the file is not valid JSON at line 3, column \d+/),
      });
      await expect(parseDocument(utf8('{"a": [1, 2'), 'json')).rejects.toMatchObject({ code: 'invalid_json' });
    });

    it('names the bad line of a JSON Lines file', async () => {
      await expect(parseDocument(utf8('{"q": "a"}\n{"q": "b"}\n{"q": \n'), 'jsonl')).rejects.toMatchObject({
        code: 'invalid_json',
        message: expect.stringMatching(/^line 3 is not valid JSON/),
      });
      const doc = await parseDocument(utf8('{"q": "a", "n": 1}\n\n{"q": "b"}\n'), 'jsonl');
      expect(doc.blocks.map((b) => b.text)).toEqual(['q: a\nn: 1', 'q: b']);
    });
  });
});
