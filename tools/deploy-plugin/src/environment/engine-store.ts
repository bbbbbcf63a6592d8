import type { Sh } from '../process/runner';

/**
 * Files kept in a Docker volume that the environment owns (its state, its credentials, the nginx
 * config), so that any checkout talking to the same engine finds them again: a local `.llmp/`
 * folder is only a cache. Reading and writing go through a short-lived container of an image the
 * environment already uses (no network, the volume as its only mount). The volume is readable by
 * root on the engine host only; whoever can reach the engine is root there anyway.
 */
export interface VolumeFile {
  name: string;
  content: string;
  /** Octal file mode, e.g. 0o600 for secrets. */
  mode: number;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function assertFileName(name: string): string {
  if (!FILE_NAME.test(name)) throw new Error(`"${name}" is not a plain file name`);
  return name;
}

/** stdin for the writer script: one line per file, `name mode base64` (pure). */
export function encodeVolumeFiles(files: readonly VolumeFile[]): string {
  return files.map((f) => `${assertFileName(f.name)} ${f.mode.toString(8)} ${Buffer.from(f.content, 'utf8').toString('base64')}\n`).join('');
}

// Each file is written beside its target and renamed over it, so readers never see half a file.
const WRITE_SCRIPT = 'set -e; umask 077; while read -r name mode data; do printf %s "$data" | base64 -d > "/d/.$name.tmp"; chmod "$mode" "/d/.$name.tmp"; mv -f "/d/.$name.tmp" "/d/$name"; done';
// A missing file prints "-", an empty one an empty line; every other line is base64.
const READ_SCRIPT = 'for f; do if [ -f "/d/$f" ]; then base64 -w0 < "/d/$f"; echo; else echo -; fi; done';

/** argv of the helper container that mounts `volume` at /d (pure). */
export function volumeHelperArgs({ volume, image, readOnly, script, args = [] }: { volume: string; image: string; readOnly: boolean; script: string; args?: readonly string[] }): string[] {
  return ['run', '--rm', '-i', '--network', 'none', '--user', '0:0', '--entrypoint', 'sh', '--volume', `${volume}:/d${readOnly ? ':ro' : ''}`, image, '-c', script, 'sh', ...args];
}

/** What READ_SCRIPT printed, file by file (pure). */
export function decodeVolumeFiles(names: readonly string[], stdout: string): Record<string, string | undefined> {
  const lines = stdout.split('\n');
  return Object.fromEntries(names.map((name, i) => [name, lines[i] === undefined || lines[i] === '-' ? undefined : Buffer.from(lines[i], 'base64').toString('utf8')]));
}

export async function writeVolumeFiles(sh: Sh, { volume, image }: { volume: string; image: string }, files: readonly VolumeFile[]): Promise<void> {
  if (!files.length) return;
  await sh('docker', volumeHelperArgs({ volume, image, readOnly: false, script: WRITE_SCRIPT }), {
    input: encodeVolumeFiles(files),
    timeoutMs: 120_000,
    hint: `could not write ${files.map((f) => f.name).join(', ')} into the volume ${volume}`,
  });
}

export async function readVolumeFiles(sh: Sh, { volume, image }: { volume: string; image: string }, names: readonly string[]): Promise<Record<string, string | undefined>> {
  names.forEach(assertFileName);
  const r = await sh('docker', volumeHelperArgs({ volume, image, readOnly: true, script: READ_SCRIPT, args: names }), {
    timeoutMs: 120_000,
    hint: `could not read ${names.join(', ')} from the volume ${volume}`,
  });
  return decodeVolumeFiles(names, r.stdout);
}
