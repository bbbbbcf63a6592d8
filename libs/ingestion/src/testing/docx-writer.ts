import { crc32, deflateRawSync } from 'node:zlib';
import { strToU8, unzipSync, zipSync } from 'fflate';

export type DocxParagraph = string | { heading: number; text: string };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A minimal, real DOCX for tests: Word's heading styles, plain paragraphs
 * and a core-properties title, zipped in memory.
 */
export function aDocx({ title, paragraphs }: { title?: string; paragraphs: DocxParagraph[] }): Buffer {
  const body = paragraphs
    .map((p) => {
      const { text, style } = typeof p === 'string' ? { text: p, style: null } : { text: p.text, style: `Heading${p.heading}` };
      const props = style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : '';
      return `<w:p>${props}<w:r><w:t xml:space="preserve">${escapeXml(text)}</w:t></w:r></w:p>`;
    })
    .join('');
  const headingStyles = [1, 2, 3]
    .map((n) => `<w:style w:type="paragraph" w:styleId="Heading${n}"><w:name w:val="heading ${n}"/></w:style>`)
    .join('');
  const files: Record<string, Uint8Array> = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
        '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>' +
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>',
    ),
    '_rels/.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>' +
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>',
    ),
    'word/_rels/document.xml.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
    ),
    'word/document.xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
        `<w:body>${body}</w:body></w:document>`,
    ),
    'word/styles.xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
        `${headingStyles}</w:styles>`,
    ),
    'docProps/core.xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">' +
        `<dc:title>${escapeXml(title ?? '')}</dc:title></cp:coreProperties>`,
    ),
  };
  return Buffer.from(zipSync(files, { level: 6 }));
}

/**
 * A DOCX whose document.xml expands to `bytes` of repeated text: a small
 * file that would fill memory if unpacked blindly. With `lie`, the archive
 * declares the entry to be tiny, as crafted bombs do.
 */
export function aDocxBomb({ bytes, lie = false }: { bytes: number; lie?: boolean }): Buffer {
  const filler = new Uint8Array(bytes).fill(0x20);
  const zip = Buffer.from(
    zipSync({ '[Content_Types].xml': strToU8('<Types/>'), 'word/document.xml': filler }, { level: 9 }),
  );
  if (lie) {
    // Rewrite the declared uncompressed size of document.xml in its local header and directory entry.
    for (const signature of [0x04034b50, 0x02014b50]) {
      for (let at = zip.indexOf(Buffer.from('word/document.xml')); at > 0; at = zip.indexOf(Buffer.from('word/document.xml'), at + 1)) {
        const header = signature === 0x04034b50 ? at - 30 : at - 46;
        if (header >= 0 && zip.readUInt32LE(header) === signature) zip.writeUInt32LE(1000, header + (signature === 0x04034b50 ? 22 : 24));
      }
    }
  }
  return zip;
}

/**
 * A real Word document whose word/document.xml expands to about `bytes`
 * of ordinary-looking paragraphs, compressed about 70 : 1 like text-heavy
 * office files, not thousands to one like a bomb: ~240 MB fits in ~3.4 MB.
 * The XML is deflated by zlib (fflate's JavaScript deflate takes seconds
 * per hundred megabytes) and zipped by hand around it.
 */
export function aDocxExpandingTo({ bytes }: { bytes: number }): Buffer {
  const sentence = 'The parties agree that the schedule applies to every delivery made under this agreement. ';
  let block = '';
  for (let i = 0; block.length < 1024 * 1024; i++) block += `<w:p><w:r><w:t>Clause ${i}. ${sentence.repeat(2)}</w:t></w:r></w:p>`;
  const head = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>');
  const tail = Buffer.from('</w:body></w:document>');
  const chunk = Buffer.from(block);
  const xml = Buffer.concat([head, ...Array.from({ length: Math.max(1, Math.round(bytes / chunk.length)) }, () => chunk), tail]);
  const small = aDocx({ paragraphs: ['Replaced below.'] });
  // Every part of a minimal DOCX but its document.xml, which is replaced.
  const parts = unzipSync(small);
  delete parts['word/document.xml'];
  const entries: Array<{ name: string; raw: Buffer; data: Buffer }> = [
    ...Object.entries(parts).map(([name, raw]) => ({ name, raw: Buffer.from(raw), data: deflateRawSync(raw) })),
    { name: 'word/document.xml', raw: xml, data: deflateRawSync(xml, { level: 1 }) },
  ];
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, raw, data } of entries) {
    const fileName = Buffer.from(name);
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
