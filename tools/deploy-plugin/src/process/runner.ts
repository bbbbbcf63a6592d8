import { logger } from '@nx/devkit';
import type { DeploymentLog } from './deployment-log';
import { formatCommand, sh, ShellError, type ShellOptions, type ShellResult } from './shell';

/** Runs one program with its argv (never through a shell) and records it. */
export type Sh = (command: string, args: readonly string[], options?: ShellOptions) => Promise<ShellResult>;

/** Where commands are recorded: their display form, duration and outcome (and output on failure). */
export type CommandRecorder = Pick<DeploymentLog, 'command'>;

/** Commands of executors without a deployment log go to nx's verbose output (NX_VERBOSE_LOGGING=true). */
const verboseRecorder: CommandRecorder = {
  command: (display, result) => logger.verbose(`[cmd] ${display} → exit ${result.exitCode} in ${result.durationMs} ms`),
};

export function recorderOf(log: CommandRecorder | undefined): CommandRecorder {
  return log ?? verboseRecorder;
}

/**
 * The one way the plugin runs a program (compose calls go through `createCompose`, which records
 * the same way): every command, its duration and outcome land in the deployment log, or in nx's
 * verbose output when the executor keeps no log.
 */
export function createRunner(log?: DeploymentLog): Sh {
  const recorder = recorderOf(log);
  return async (command, args, options = {}) => {
    try {
      const result = await sh(command, args, options);
      recorder.command(formatCommand(command, args), result);
      return result;
    } catch (error) {
      if (error instanceof ShellError) recorder.command(error.command, error.result);
      throw error;
    }
  };
}
