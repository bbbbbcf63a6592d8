/**
 * A minimal PDF writer for tests: real, parseable files (text in Helvetica,
 * one content stream per page) built in memory, so no binary fixture is
 * shipped. `encryptedWithUnknownPassword` adds a Standard security handler
 * whose user password is not empty, which readers refuse to open without it.
 */
/** A line of text, or one set in another size (a heading). */
export type PdfLine = string | { text: string; size: number };

export interface PdfOptions {
  /** Each page is a list of lines; an empty string leaves a blank line (a paragraph break). */
  pages: PdfLine[][];
  title?: string;
  encryptedWithUnknownPassword?: boolean;
}

function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
}

export function aPdf({ pages, title, encryptedWithUnknownPassword = false }: PdfOptions): Buffer {
  const objects: string[] = [];
  const add = (body: string) => {
    objects.push(body);
    return objects.length;
  };
  const catalog = add('');
  const pagesId = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const pageIds: number[] = [];
  for (const lines of pages) {
    const ops = [
      'BT',
      '72 720 Td',
      ...lines.map((line) => {
        const { text, size } = typeof line === 'string' ? { text: line, size: 12 } : line;
        return `/F1 ${size} Tf ${Math.round(size * 1.2)} TL (${escapeText(text)}) Tj T*`;
      }),
      'ET',
    ].join('\n');
    const content = add(`<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`);
    pageIds.push(
      add(`<< /Type /Page /Parent ${pagesId} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`),
    );
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesId} 0 R >>`;
  objects[pagesId - 1] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
  const info = title ? add(`<< /Title (${escapeText(title)}) >>`) : 0;
  const encrypt = encryptedWithUnknownPassword
    ? add(`<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <${'ab'.repeat(32)}> /U <${'cd'.repeat(32)}> >>`)
    : 0;

  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  const id = `<${'0123456789abcdef'.repeat(2)}>`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${info ? ` /Info ${info} 0 R` : ''}${encrypt ? ` /Encrypt ${encrypt} 0 R` : ''} /ID [${id} ${id}] >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
