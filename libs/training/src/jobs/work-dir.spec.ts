import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tidyWorkDir } from './work-dir';

describe("a finished job's directory", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-workdir-'));
    for (const step of ['step-000006', 'step-000012', 'step-000014']) {
      await mkdir(path.join(dir, 'checkpoints', step), { recursive: true });
      await writeFile(path.join(dir, 'checkpoints', step, 'weights.bin'), 'w');
    }
    for (const file of ['train.ndjson', 'validation.ndjson', 'spec-attempt-1.json', 'spec-attempt-2.json', 'model.gguf']) await writeFile(path.join(dir, file), 'x');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps the listed checkpoints and the model file, and removes the rest', async () => {
    const removed = await tidyWorkDir(dir, [path.join(dir, 'checkpoints', 'step-000006'), path.join(dir, 'checkpoints', 'step-000012'), path.join(dir, 'model.gguf')]);
    expect(removed.map((p) => path.relative(dir, p)).sort()).toEqual(['checkpoints/step-000014', 'spec-attempt-1.json', 'spec-attempt-2.json', 'train.ndjson', 'validation.ndjson']);
    expect((await readdir(dir)).sort()).toEqual(['checkpoints', 'model.gguf']);
    expect((await readdir(path.join(dir, 'checkpoints'))).sort()).toEqual(['step-000006', 'step-000012']);
    expect(await readdir(path.join(dir, 'checkpoints', 'step-000006'))).toEqual(['weights.bin']);
  });

  it('empties the directory of a job with nothing to keep, ignores paths outside it, and accepts a directory already gone', async () => {
    await tidyWorkDir(dir, [path.join(os.tmpdir(), 'elsewhere'), path.join(dir, '..', 'model.gguf')]);
    expect(await readdir(dir)).toEqual([]);
    await expect(tidyWorkDir(path.join(dir, 'missing'), [])).resolves.toEqual([]);
  });
});
