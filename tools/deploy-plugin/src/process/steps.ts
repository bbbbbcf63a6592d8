import { logger } from '@nx/devkit';
import { Listr, PRESET_TIMER } from 'listr2';
import type { DeploymentLog } from './deployment-log';

export type StepStatus = 'ok' | 'failed' | 'skipped';

export interface StepRecord {
  title: string;
  status: StepStatus;
  startedAt: string;
  durationMs: number;
  error?: string;
}

export interface StepContext {
  /** A progress line inside the current step: task-list output in a terminal, a timestamped line in CI, a log entry. */
  progress(line: string): void;
}

export interface StepRunner {
  run<T>(title: string, fn: (ctx: StepContext) => Promise<T>): Promise<T>;
  skip(title: string, reason: string): void;
  readonly records: readonly StepRecord[];
}

export type StepRenderer = 'tasks' | 'lines';

export interface StepRunnerOptions {
  renderer: StepRenderer;
  log?: DeploymentLog;
  /** Prefix of plain lines, e.g. the executor name. */
  scope: string;
  now?: () => Date;
  /** Where plain lines go (the devkit logger by default). */
  write?: (line: string) => void;
}

/** Plain timestamped lines in CI and whenever stdout is not a terminal; a live task list otherwise. */
export function chooseRenderer(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): StepRenderer {
  const ci = env['CI'] !== undefined && env['CI'] !== '' && env['CI'] !== 'false' && env['CI'] !== '0';
  return ci || !isTTY || env['LLMP_PLAIN_OUTPUT'] === '1' ? 'lines' : 'tasks';
}

export function formatLine(now: Date, scope: string, text: string): string {
  return `${now.toISOString()} [${scope}] ${text}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function createStepRunner({ renderer, log, scope, now = () => new Date(), write = (line) => logger.info(line) }: StepRunnerOptions): StepRunner {
  const records: StepRecord[] = [];
  const line = (text: string) => write(formatLine(now(), scope, text));

  async function runPlain<T>(title: string, fn: (ctx: StepContext) => Promise<T>): Promise<T> {
    line(`▶ ${title}`);
    return fn({
      progress: (text) => {
        log?.write(`  ${title}: ${text}`);
        line(`  ${title}: ${text}`);
      },
    });
  }

  async function runTasks<T>(title: string, fn: (ctx: StepContext) => Promise<T>): Promise<T> {
    let value: T | undefined;
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, task) => {
            value = await fn({
              progress: (text) => {
                log?.write(`  ${title}: ${text}`);
                task.output = text;
              },
            });
          },
          rendererOptions: { timer: PRESET_TIMER, outputBar: 1 },
        },
      ],
      { exitOnError: true, rendererOptions: { collapseErrors: false, showErrorMessage: true } },
    );
    await list.run();
    return value as T;
  }

  return {
    records,
    async run(title, fn) {
      const started = now();
      log?.step(title, 'start');
      try {
        const value = renderer === 'lines' ? await runPlain(title, fn) : await runTasks(title, fn);
        const durationMs = now().getTime() - started.getTime();
        records.push({ title, status: 'ok', startedAt: started.toISOString(), durationMs });
        log?.step(title, 'ok', durationMs);
        if (renderer === 'lines') line(`✔ ${title} (${formatDuration(durationMs)})`);
        return value;
      } catch (error) {
        const durationMs = now().getTime() - started.getTime();
        const message = (error as Error).message;
        records.push({ title, status: 'failed', startedAt: started.toISOString(), durationMs, error: message });
        log?.step(title, 'failed', durationMs, message);
        if (renderer === 'lines') line(`✖ ${title} (${formatDuration(durationMs)}): ${message.split('\n')[0]}`);
        throw error;
      }
    },
    skip(title, reason) {
      records.push({ title, status: 'skipped', startedAt: now().toISOString(), durationMs: 0 });
      log?.step(title, 'skipped', 0, reason);
      if (renderer === 'lines') line(`- ${title}: skipped (${reason})`);
      else write(`  ↓ ${title} [skipped: ${reason}]`);
    },
  };
}
