import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { documentMetadataSchema, type DocumentMetadata } from '@llmp/contracts';
import { InputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@llmp/http';
import { mib, type UploadedFile, type UploadLimits } from './upload';

export interface MultipartUpload {
  /**
   * The file parts in the order they arrive, each with the "metadata" field
   * sent before it. Reading starts with the first file asked for; each file's
   * content must be read (or resumed) before the next one arrives. Fails
   * with a 4xx when the request is not multipart, too large, malformed, or
   * its metadata is not a flat JSON object.
   */
  files: AsyncIterable<UploadedFile>;
  /** More files were sent than allowed; the rest were skipped. Known once `files` has ended. */
  readonly tooManyFiles: boolean;
}

const malformed = (error: Error) => new InputError({ code: 'malformed_multipart', message: `the multipart request is malformed: ${error.message}` });

/** Reads a multipart/form-data request part by part; nothing is buffered beyond what the stream in hand holds. */
export function multipartUpload(req: Request, limits: UploadLimits): MultipartUpload {
  let tooManyFiles = false;

  async function* files(): AsyncGenerator<UploadedFile> {
    const contentType = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType)) {
      throw new UnsupportedMediaTypeError({
        code: 'multipart_required',
        message: `send files as multipart/form-data (one part per file), not ${contentType.split(';')[0] || 'a body without a Content-Type'}`,
      });
    }
    const declaredLength = Number(req.headers['content-length']);
    const ceiling = limits.maxFiles * limits.maxFileBytes + 1024 * 1024;
    if (Number.isFinite(declaredLength) && declaredLength > ceiling) {
      throw new PayloadTooLargeError({
        code: 'request_too_large',
        message: `the request is ${declaredLength} bytes; at most ${limits.maxFiles} files of ${mib(limits.maxFileBytes)} each are accepted`,
      });
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        preservePath: true,
        defParamCharset: 'utf8',
        limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes + 1, fields: 20, fieldSize: 64 * 1024 },
      });
    } catch (error) {
      throw malformed(error as Error);
    }

    const aborted = new AbortController();
    const arrived: UploadedFile[] = [];
    let metadata: DocumentMetadata = {};
    let metadataProblem: string | null = null;
    let failure: Error | null = null;
    let finished = false;
    let wake: (() => void) | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    const fail = (error: Error) => {
      if (failure) return;
      failure = error;
      notify();
      // Ends the file being read, so that whoever reads it learns of the failure instead of waiting.
      parser.destroy();
    };
    const onClose = () => {
      if (req.complete) return;
      const reason = new InputError({ code: 'upload_incomplete', message: 'the client closed the upload before sending all of it' });
      aborted.abort(reason);
      fail(reason);
    };
    req.once('close', onClose);

    parser.on('field', (name, value) => {
      if (name !== 'metadata') return;
      try {
        const parsed = documentMetadataSchema.safeParse(JSON.parse(value));
        if (parsed.success) metadata = parsed.data;
        else metadataProblem = `"metadata" must be a flat JSON object of strings, numbers and booleans: ${parsed.error.issues[0]?.message}`;
      } catch {
        metadataProblem = '"metadata" is not valid JSON';
      }
    });
    parser.on('file', (_field, stream: Readable, info) => {
      // Files after bad metadata are not stored: the whole request is refused once it has been read.
      if (metadataProblem) {
        stream.resume();
        return;
      }
      arrived.push({ filename: info.filename ?? '', declaredType: info.mimeType, content: stream, metadata, signal: aborted.signal });
      notify();
    });
    parser.on('filesLimit', () => (tooManyFiles = true));
    parser.on('error', (error: Error) => fail(malformed(error)));
    parser.on('close', () => {
      finished = true;
      notify();
    });
    req.pipe(parser);

    try {
      for (;;) {
        if (failure) {
          for (const file of arrived.splice(0)) file.content.destroy();
          throw failure;
        }
        const next = arrived.shift();
        if (next) yield next;
        else if (finished) break;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
      if (metadataProblem) throw new InputError({ code: 'invalid_metadata', message: metadataProblem });
    } catch (error) {
      req.unpipe(parser);
      req.resume();
      throw error;
    } finally {
      req.off('close', onClose);
    }
  }

  return {
    files: files(),
    get tooManyFiles() {
      return tooManyFiles;
    },
  };
}
