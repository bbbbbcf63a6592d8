import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { redact } from './redact';
import type { ShellResult } from './shell';

export interface DeploymentLog {
  readonly path: string;
  write(text: string): void;
  step(title: string, outcome: 'start' | 'ok' | 'failed' | 'skipped', durationMs?: number, detail?: string): void;
  command(display: string, result: ShellResult, options?: { includeOutput?: boolean }): void;
  /** Adds values (generated passwords, decrypted settings) that must be masked from now on. */
  addSecrets(values: readonly (string | undefined)[]): void;
}

export interface DeploymentLogOptions {
  path: string;
  secrets?: readonly string[];
  now?: () => Date;
}

/** Append-only, timestamped, redacted: every step, command, duration and outcome; never a secret. */
export function createDeploymentLog({ path, secrets = [], now = () => new Date() }: DeploymentLogOptions): DeploymentLog {
  mkdirSync(dirname(path), { recursive: true });
  const known = new Set(secrets);
  const append = (text: string) => {
    const stamp = now().toISOString();
    const clean = redact(stripAnsi(text), [...known]);
    appendFileSync(path, clean.split('\n').map((l) => `${stamp} ${l}`).join('\n') + '\n', { mode: 0o640 });
  };
  return {
    path,
    write: append,
    step(title, outcome, durationMs, detail) {
      const duration = durationMs === undefined ? '' : ` (${durationMs} ms)`;
      append(`[step] ${title}: ${outcome}${duration}${detail ? `\n${indent(detail)}` : ''}`);
    },
    command(display, result, { includeOutput = result.exitCode !== 0 } = {}) {
      append(`[cmd] ${display} → exit ${result.exitCode} in ${result.durationMs} ms`);
      if (includeOutput) {
        const output = [result.stdout.trimEnd(), result.stderr.trimEnd()].filter(Boolean).join('\n');
        if (output) append(indent(tail(output, 200)));
      }
    },
    addSecrets(values) {
      for (const v of values) if (v) known.add(v);
    },
  };
}

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-character escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

function tail(text: string, lines: number): string {
  const all = text.split('\n');
  return all.length <= lines ? text : [`… (${all.length - lines} earlier lines omitted)`, ...all.slice(-lines)].join('\n');
}
