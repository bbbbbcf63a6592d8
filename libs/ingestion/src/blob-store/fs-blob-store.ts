import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobTooLargeError, type BlobStore, type StagedBlob, type StageOptions } from './blob-store';

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const STAGING = '.staging';
/** Staged files older than this were left by a crash and are removed at start. */
const STALE_STAGING_MS = 60 * 60 * 1000;

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid blob key "${key}": only letters, digits, "_", "-" and "/" between names`);
  return key;
}

function randomAccess(file: string, size: number) {
  return {
    size,
    async read(position: number, length: number): Promise<Buffer> {
      const start = Math.max(0, Math.min(position, size));
      const count = Math.max(0, Math.min(length, size - start));
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(count);
        const { bytesRead } = await handle.read(buffer, 0, count, start);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}

export interface FsBlobStoreOptions {
  /** Directory that holds the blobs; created if missing. */
  root: string;
}

/** Blobs as files under one directory; keys map to relative paths, staging renames into place atomically. */
export async function createFsBlobStore({ root }: FsBlobStoreOptions): Promise<BlobStore> {
  const base = path.resolve(root);
  const staging = path.join(base, STAGING);
  await mkdir(staging, { recursive: true });
  for (const name of await readdir(staging)) {
    const file = path.join(staging, name);
    const info = await stat(file).catch(() => null);
    if (info && Date.now() - info.mtimeMs > STALE_STAGING_MS) await rm(file, { force: true });
  }
  const fileOf = (key: string) => path.join(base, checkKey(key));
  const staged = new Map<string, string>();

  return {
    stage(source: Readable, { maxBytes, signal }: StageOptions): Promise<StagedBlob> {
      const id = randomUUID();
      const file = path.join(staging, id);
      const hash = createHash('sha256');
      const out = createWriteStream(file, { flags: 'wx' });
      let size = 0;
      return new Promise<StagedBlob>((resolve, reject) => {
        let settled = false;
        const cleanup = () => {
          source.off('data', onData);
          source.off('end', onEnd);
          source.off('error', fail);
          signal?.removeEventListener('abort', onAbort);
        };
        function fail(error: unknown) {
          if (settled) return;
          settled = true;
          cleanup();
          // Keep reading so a multipart parser can move on to the next part.
          source.resume();
          out.destroy();
          rm(file, { force: true }).then(
            () => reject(error),
            () => reject(error),
          );
        }
        function onAbort() {
          fail(signal?.reason ?? new Error('upload aborted'));
        }
        function onData(chunk: Buffer) {
          size += chunk.length;
          if (size > maxBytes) return fail(new BlobTooLargeError(maxBytes));
          hash.update(chunk);
          if (!out.write(chunk)) {
            source.pause();
            out.once('drain', () => source.resume());
          }
        }
        function onEnd() {
          if (settled) return;
          cleanup();
          out.end(() => {
            if (settled) return;
            settled = true;
            staged.set(id, file);
            resolve({ id, sha256: hash.digest('hex'), ...randomAccess(file, size) });
          });
        }
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        out.on('error', fail);
        source.on('data', onData);
        source.on('end', onEnd);
        source.on('error', fail);
      });
    },

    async commit(blob, key) {
      const from = staged.get(blob.id);
      if (!from) throw new Error(`staged blob ${blob.id} is unknown or was already committed`);
      const to = fileOf(key);
      await mkdir(path.dirname(to), { recursive: true });
      await rename(from, to);
      staged.delete(blob.id);
    },

    async discard(blob) {
      const file = staged.get(blob.id);
      staged.delete(blob.id);
      if (file) await rm(file, { force: true });
    },

    read: (key) => readFile(fileOf(key)),

    async exists(key) {
      return access(fileOf(key)).then(
        () => true,
        () => false,
      );
    },

    async delete(key) {
      await rm(fileOf(key), { force: true });
    },

    async deletePrefix(prefix) {
      await rm(fileOf(prefix), { recursive: true, force: true });
    },

    async health() {
      const probe = path.join(staging, `health-${randomUUID()}`);
      await writeFile(probe, 'ok');
      await rm(probe, { force: true });
    },
  };
}
