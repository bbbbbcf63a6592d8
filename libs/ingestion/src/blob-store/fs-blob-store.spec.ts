import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createFsBlobStore } from './fs-blob-store';

const HOST = os.hostname().replace(/[^\w-]/g, '_');

describe('fs blob store', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'llmp-blobs-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function leave(name: string, ageMs = 0) {
    const file = path.join(root, '.staging', name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'partial upload');
    const at = new Date(Date.now() - ageMs);
    await utimes(file, at, at);
  }

  it('purges at start the partial files no live upload owns, whatever their age', async () => {
    // A process that ran on this host and is gone.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await leave(`${HOST}~${dead}.a1`);
    // An earlier run of a restarted container, which had this very pid.
    await leave(`${HOST}~${process.pid}.b2`);
    // Another host's upload, silent for ten minutes; and one from before files were named.
    await leave('otherhost~1.c3', 10 * 60 * 1000);
    await leave('3f1a2b4c-0000-4000-8000-000000000000', 10 * 60 * 1000);
    // Live uploads: another process on this host, another host writing right now.
    await leave(`${HOST}~${process.ppid}.d4`);
    await leave('otherhost~1.e5');

    await createFsBlobStore({ root });
    expect((await readdir(path.join(root, '.staging'))).sort()).toEqual(['otherhost~1.e5', `${HOST}~${process.ppid}.d4`].sort());
  });

  it('leaves alone what this process is staging when another store opens the same directory', async () => {
    const first = await createFsBlobStore({ root });
    const staged = await first.stage(Readable.from([Buffer.from('still uploading')]), { maxBytes: 1024 });
    await createFsBlobStore({ root });
    await first.commit(staged, 'kb_1/doc_1');
    expect((await first.read('kb_1/doc_1')).toString()).toBe('still uploading');
    expect(await readdir(path.join(root, '.staging'))).toEqual([]);
  });
});
