import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobTooLargeError, type BlobStore, type StagedBlob, type StageOptions } from './blob-store';

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const STAGING = '.staging';
/**
 * A staged file of another host (several containers may share the blob
 * volume) untouched this long has no live upload: an upload writes as its
 * bytes arrive and is committed or discarded within moments of the last.
 */
const FOREIGN_STAGING_MS = 5 * 60 * 1000;

const HOST = os.hostname().replace(/[^\w-]/g, '_');
/** Who stages a file: this host and process, so a restart can tell its own leftovers from live uploads. */
const OWNER = `${HOST}~${process.pid}`;

/**
 * Staged files this process is writing or holding, across its stores: a
 * second store opened on the same directory (tests, an embedded platform)
 * must not take them for a dead run's leftovers.
 */
const live = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a staged file is left over from a process that is gone. A file of
 * this host names its process: ours means an earlier run under the same pid
 * (a restarted container), which is over; another pid is over when it no
 * longer runs. Files of other hosts, and unnamed ones, are judged by age.
 */
function abandoned(name: string, ageMs: number): boolean {
  const owner = /^([\w-]+)~(\d+)\./.exec(name);
  if (owner && owner[1] === HOST) {
    const pid = Number(owner[2]);
    return pid === process.pid ? !live.has(name) : !pidAlive(pid);
  }
  return ageMs > FOREIGN_STAGING_MS;
}

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
  // At every start: what a crashed process was writing would otherwise stay forever.
  for (const name of await readdir(staging)) {
    const file = path.join(staging, name);
    const info = await stat(file).catch(() => null);
    if (info && abandoned(name, Date.now() - info.mtimeMs)) await rm(file, { force: true });
  }
  const fileOf = (key: string) => path.join(base, checkKey(key));
  const staged = new Map<string, string>();

  return {
    stage(source: Readable, { maxBytes, signal }: StageOptions): Promise<StagedBlob> {
      const id = randomUUID();
      const name = `${OWNER}.${id}`;
      const file = path.join(staging, name);
      live.add(name);
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
            () => (live.delete(name), reject(error)),
            () => (live.delete(name), reject(error)),
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
      live.delete(path.basename(from));
    },

    async discard(blob) {
      const file = staged.get(blob.id);
      staged.delete(blob.id);
      if (file) {
        await rm(file, { force: true });
        live.delete(path.basename(file));
      }
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
      const probe = path.join(staging, `${OWNER}.health-${randomUUID()}`);
      await writeFile(probe, 'ok');
      await rm(probe, { force: true });
    },
  };
}
