import type { DeploymentLog } from './deployment-log';
import { formatCommand, sh, ShellError, type ShellOptions, type ShellResult } from './shell';

export type Sh = (command: string, args: readonly string[], options?: ShellOptions) => Promise<ShellResult>;

/** `sh` that also records every command, its duration and outcome (and output on failure) in the deployment log. */
export function loggedSh(log: DeploymentLog | undefined): Sh {
  if (!log) return sh;
  return async (command, args, options = {}) => {
    try {
      const result = await sh(command, args, options);
      log.command(formatCommand(command, args), result);
      return result;
    } catch (error) {
      if (error instanceof ShellError) log.command(error.command, error.result);
      throw error;
    }
  };
}
