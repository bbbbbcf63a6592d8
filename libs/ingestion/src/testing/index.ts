export { aPdf, type PdfLine, type PdfOptions } from './pdf-writer';
export { aDocx, aDocxBomb, type DocxParagraph } from './docx-writer';
