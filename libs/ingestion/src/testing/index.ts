export { aPdf, type PdfLine, type PdfOptions } from './pdf-writer';
export { aDocx, aDocxBomb, aDocxExpandingTo, type DocxParagraph } from './docx-writer';
export { prose } from './text-generator';
export { aGgufEmbeddingModel, type GgufEmbeddingModelOptions } from './gguf-embedding-model';
