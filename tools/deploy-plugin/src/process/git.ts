import { createHash } from 'node:crypto';
import type { Sh } from './runner';

export interface GitRevision {
  /** Full commit SHA of HEAD. */
  sha: string;
  /** 12-character SHA, used in image tags. */
  shortSha: string;
  /** Uncommitted changes (tracked or untracked, not ignored) exist. */
  dirty: boolean;
  /** Hash of `git status --porcelain` + `git diff HEAD`, stable for one dirty state. */
  dirtyHash?: string;
}

export async function readGitRevision(sh: Sh, root: string): Promise<GitRevision> {
  const head = await sh('git', ['rev-parse', 'HEAD'], { cwd: root, hint: 'docker images are tagged with the git commit: run inside a git checkout with at least one commit' });
  const sha = head.stdout.trim();
  const status = await sh('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root });
  const dirty = status.stdout.trim().length > 0;
  let dirtyHash: string | undefined;
  if (dirty) {
    const diff = await sh('git', ['diff', 'HEAD', '--binary'], { cwd: root });
    dirtyHash = createHash('sha256').update(status.stdout).update(diff.stdout).digest('hex').slice(0, 8);
  }
  return { sha, shortSha: sha.slice(0, 12), dirty, dirtyHash };
}

/** The origin URL, for the images' source label. */
export async function readGitSource(sh: Sh, root: string): Promise<string> {
  const remote = await sh('git', ['config', '--get', 'remote.origin.url'], { cwd: root, allowFailure: true });
  return remote.stdout.trim() || 'llmp monorepo';
}
