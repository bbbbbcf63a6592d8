import { $ } from 'zx';
import { redact } from './redact';

export interface ShellResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ShellOptions {
  cwd?: string;
  /** Added to (not replacing) the current environment. */
  env?: Record<string, string | undefined>;
  /** Written to the command's stdin (passwords go here, never into argv). */
  input?: string;
  timeoutMs?: number;
  /** Resolve instead of throwing when the command exits non-zero. */
  allowFailure?: boolean;
  /** What the user should do when the command fails; appended to the error message. */
  hint?: string;
  /** Live output, e.g. for a deployment log or a task list. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Values that must never appear in an error message. */
  secrets?: readonly string[];
}

export class ShellError extends Error {
  readonly command: string;
  readonly result: ShellResult;

  constructor({ command, result, hint, secrets = [] }: { command: string; result: ShellResult; hint?: string; secrets?: readonly string[] }) {
    const tail = lastLines(result.stderr || result.stdout, 15);
    const lines = [
      `\`${command}\` failed with exit code ${result.exitCode} after ${(result.durationMs / 1000).toFixed(1)}s`,
      ...(tail ? [tail] : []),
      ...(hint ? [`→ ${hint}`] : []),
    ];
    super(redact(lines.join('\n'), secrets));
    this.name = 'ShellError';
    this.command = redact(command, secrets);
    this.result = result;
  }
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** Quotes an argv for display only (logs and error messages); execution never goes through a shell. */
export function formatCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Runs one command (no shell: zx quotes every argument) and resolves { exitCode, stdout, stderr }.
 * Non-zero exits throw a ShellError that names the command, shows the end of its output and says what to do.
 */
export async function sh(command: string, args: readonly string[], options: ShellOptions = {}): Promise<ShellResult> {
  const started = Date.now();
  const display = formatCommand(command, args);
  const proc = $({
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    input: options.input,
    nothrow: true,
    quiet: true,
    timeout: options.timeoutMs,
    timeoutSignal: 'SIGKILL',
  })`${command} ${args}`;
  if (options.onOutput) {
    const onOutput = options.onOutput;
    proc.stdout.on('data', (chunk: Buffer) => onOutput(chunk.toString(), 'stdout'));
    proc.stderr.on('data', (chunk: Buffer) => onOutput(chunk.toString(), 'stderr'));
  }
  let output;
  try {
    output = await proc;
  } catch (error) {
    // spawn failures (command not found) are the only rejections with nothrow
    const result = { exitCode: 127, stdout: '', stderr: (error as Error).message, durationMs: Date.now() - started };
    throw new ShellError({ command: display, result, hint: options.hint ?? `is \`${command}\` installed and on PATH?`, secrets: options.secrets });
  }
  const timedOut = output.exitCode === null;
  const result: ShellResult = {
    exitCode: output.exitCode ?? 124,
    stdout: output.stdout,
    stderr: timedOut ? `${output.stderr}\n(killed after ${options.timeoutMs} ms)` : output.stderr,
    durationMs: Date.now() - started,
  };
  if (result.exitCode !== 0 && !options.allowFailure) {
    throw new ShellError({ command: display, result, hint: options.hint, secrets: options.secrets });
  }
  return result;
}
