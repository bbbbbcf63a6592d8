import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { JobError } from '../jobs/job';
import { trainerLineSchema, type DoneLine, type TrainerLine } from './protocol';

/** How to start a trainer process: the spec's path is appended as its last argument. */
export interface TrainerCommand {
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
}

export interface SupervisorOptions {
  /** No line for this long and the trainer is stopped as stalled. */
  stallTimeoutMs: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
}

export type TrainerOutcome =
  | { outcome: 'succeeded'; done: DoneLine }
  | { outcome: 'failed'; error: JobError }
  | { outcome: 'cancelled' };

export interface SupervisedTrainer {
  readonly pid: number | undefined;
  /** Settles once the process has exited and every line has been handled. */
  readonly result: Promise<TrainerOutcome>;
  /** SIGTERM, then SIGKILL after the grace period; the outcome is `cancelled` unless it had already ended. */
  cancel(): void;
}

const MAX_LINE = 64 * 1024;
const tail = (text: string, n = 600) => (text.length > n ? `…${text.slice(-n)}` : text).trim();
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * Runs one trainer process and turns what it does into one outcome. Every
 * protocol line goes to `onLine` in order (awaited one at a time, so a
 * checkpoint is stored before the `done` that follows it); anything that is
 * not the protocol ends the process, and nothing it does can leave the job
 * without an outcome: garbage, silence, an exit without `done`, a spawn
 * failure and a cancel each end in `failed` with a reason or `cancelled`.
 */
export function superviseTrainer(
  { command, args, env }: TrainerCommand,
  specPath: string,
  { stallTimeoutMs, killGraceMs }: SupervisorOptions,
  onLine: (line: TrainerLine) => Promise<void>,
): SupervisedTrainer {
  const child: ChildProcess = spawn(command, [...args, specPath], {
    env: env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let verdict: TrainerOutcome | null = null;
  let done: DoneLine | null = null;
  let stderr = '';
  let stallTimer: NodeJS.Timeout | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  let handling: Promise<void> = Promise.resolve();

  const stop = (outcome: TrainerOutcome) => {
    verdict ??= outcome;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), killGraceMs);
  };
  const fail = (code: string, message: string) => stop({ outcome: 'failed', error: { code, message, param: null } });
  const armStallTimer = () => {
    if (stallTimer) clearTimeout(stallTimer);
    stallTimer = setTimeout(() => fail('trainer_stalled', `the trainer wrote nothing for ${seconds(stallTimeoutMs)} (the stall timeout) and was stopped`), stallTimeoutMs);
  };

  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-8192)));
  const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
  lines.on('line', (raw) => {
    if (verdict) return;
    armStallTimer();
    if (raw.trim() === '') return;
    let line: TrainerLine;
    try {
      if (raw.length > MAX_LINE) throw new Error(`a line of ${raw.length} characters (at most ${MAX_LINE})`);
      const parsed = trainerLineSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; '));
      line = parsed.data;
    } catch (error) {
      fail('trainer_protocol_error', `the trainer wrote a line that is not the trainer protocol (${(error as Error).message}): ${JSON.stringify(raw.slice(0, 200))}`);
      return;
    }
    if (line.type === 'done') done = line;
    if (line.type === 'error') fail(line.code, line.message);
    handling = handling.then(() => onLine(line)).catch((error: Error) => fail('trainer_supervision_failed', `recording the trainer's output failed: ${error.message}`));
  });
  armStallTimer();

  const result = new Promise<TrainerOutcome>((resolve) => {
    let spawnError: Error | null = null;
    child.on('error', (error) => (spawnError = error));
    // 'close' comes after stdout and stderr have ended, so every line has been read.
    child.on('close', (code, signal) => {
      if (stallTimer) clearTimeout(stallTimer);
      if (killTimer) clearTimeout(killTimer);
      void handling.then(() => {
        if (verdict) return resolve(verdict);
        if (spawnError) return resolve({ outcome: 'failed', error: { code: 'trainer_start_failed', message: `the trainer could not be started: ${spawnError.message}`, param: null } });
        if (done && code === 0) return resolve({ outcome: 'succeeded', done });
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const said = tail(stderr);
        const message = done ? `the trainer reported done but ${how}` : `the trainer ${how} before reporting done`;
        resolve({ outcome: 'failed', error: { code: 'trainer_exited', message: said ? `${message}: ${said}` : message, param: null } });
      });
    });
  });

  return {
    pid: child.pid,
    result,
    cancel: () => stop({ outcome: 'cancelled' }),
  };
}
