import { DocumentBuilder, type ParsedDocument } from './parsed-document';
import { decodeText, type DecodedText } from './text-decoding';

export function decodeWithWarning(bytes: Buffer, builder: DocumentBuilder): DecodedText {
  const decoded = decodeText(bytes);
  if (decoded.guessed) builder.warn(`the text is not UTF-8; it was read as ${decoded.encoding} (guessed from its bytes)`);
  else if (decoded.encoding !== 'utf-8') builder.warn(`the text was read as ${decoded.encoding} (from its byte order mark)`);
  return { ...decoded, text: decoded.text.replace(/\r\n?/g, '\n') };
}

/** Plain text: paragraphs are separated by blank lines. */
export function parseText(bytes: Buffer): ParsedDocument {
  const builder = new DocumentBuilder('text');
  const { text } = decodeWithWarning(bytes, builder);
  for (const paragraph of text.split(/\n[ \t]*\n/)) builder.block('paragraph', paragraph);
  return builder.build();
}
