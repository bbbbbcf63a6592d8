/**
 * The file itself is the problem (damaged, encrypted, not what it claims):
 * trying again cannot help, and the message tells a person what to do.
 */
export class DocumentParseError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DocumentParseError';
    this.code = code;
  }
}
