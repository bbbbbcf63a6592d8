import { randomBytes } from 'node:crypto';

export interface Part {
  /** Raw `filename` parameter, written as given: lets tests send names no browser would. */
  filename?: string;
  /** Sent as RFC 5987 `filename*=utf-8''…`, percent-encoded: how clients send names with any character. */
  encodedFilename?: string;
  name?: string;
  contentType?: string;
  content: Buffer | string;
}

/** A multipart/form-data body built by hand, byte for byte. */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----llmp${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename =
      part.encodedFilename !== undefined
        ? `; filename*=utf-8''${encodeURIComponent(part.encodedFilename)}`
        : part.filename !== undefined
          ? `; filename="${part.filename}"`
          : '';
    const disposition = `form-data; name="${part.name ?? 'file'}"${filename}`;
    const headers = [`Content-Disposition: ${disposition}`, ...(part.contentType ? [`Content-Type: ${part.contentType}`] : [])];
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8'));
    chunks.push(Buffer.isBuffer(part.content) ? part.content : Buffer.from(part.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
