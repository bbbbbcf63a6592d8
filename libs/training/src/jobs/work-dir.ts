import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Removes from a finished job's directory everything not kept: the copies of
 * the dataset splits, the trainer specs of each attempt, checkpoints the
 * trainer wrote but never reported (it was stopped in between), a model file
 * no model was recorded for. What is kept (the listed checkpoints and the
 * model's file) and the directories leading to it stay. Returns what was removed.
 */
export async function tidyWorkDir(workDir: string, keep: readonly string[]): Promise<string[]> {
  const root = path.resolve(workDir);
  const kept = keep.map((p) => path.resolve(p)).filter((p) => p === root || p.startsWith(root + path.sep));
  const removed: string[] = [];
  const visit = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (kept.includes(full)) continue;
      if (entry.isDirectory() && kept.some((p) => p.startsWith(full + path.sep))) {
        await visit(full);
        continue;
      }
      await rm(full, { recursive: true, force: true });
      removed.push(full);
    }
  };
  await visit(root);
  return removed;
}

/** Removes a deleted job's whole directory; a path outside the jobs' root is refused rather than removed. */
export async function removeWorkDir(workRoot: string, workDir: string): Promise<void> {
  const root = path.resolve(workRoot);
  const dir = path.resolve(workDir);
  if (!dir.startsWith(root + path.sep)) throw new Error(`${dir} is not inside the training directory ${root}`);
  await rm(dir, { recursive: true, force: true });
}
