import { logger, type ExecutorContext } from '@nx/devkit';
import { existsSync, rmSync } from 'node:fs';
import { createDeploymentLog } from '../../process/deployment-log';
import { assertDockerRunning } from '../../process/docker';
import { envPaths } from '../../environment/paths';
import { createRunner } from '../../process/runner';
import { groupByEnvironment, listResources, removeEnvironment, type EnvironmentSummary } from '../../environment/resources';
import { chooseRenderer, createStepRunner } from '../../process/steps';
import { renderTable } from '../../operations/summary';
import type { ReapExecutorSchema } from './schema';

export interface NormalizedReapOptions {
  root: string;
  now: Date;
  dryRun: boolean;
}

export function normalizeOptions(options: ReapExecutorSchema, { root, now = new Date() }: { root: string; now?: Date }): NormalizedReapOptions {
  const at = options.now ? new Date(options.now) : now;
  if (Number.isNaN(at.getTime())) throw new Error(`now must be an ISO date-time (got "${options.now}")`);
  return { root, now: at, dryRun: options.dryRun ?? false };
}

/** Environments whose latest expiry stamp has passed; environments without one are never reaped (pure). */
export function expiredEnvironments(envs: readonly EnvironmentSummary[], now: Date): EnvironmentSummary[] {
  return envs.filter((e) => e.expiresAt !== undefined && Date.parse(e.expiresAt) <= now.getTime());
}

export default async function reapExecutor(options: ReapExecutorSchema, context: ExecutorContext): Promise<{ success: boolean; reaped?: string[] }> {
  const o = normalizeOptions(options, { root: context.root });
  const steps = createStepRunner({ renderer: chooseRenderer(process.env, process.stdout.isTTY), scope: 'reap' });
  const sh = createRunner();
  try {
    const envs = await steps.run('find environments', async (ctx) => {
      await assertDockerRunning(sh);
      const found = groupByEnvironment(await listResources(sh));
      ctx.progress(`${found.length} environment(s) on this engine`);
      return found;
    });
    const expired = expiredEnvironments(envs, o.now);
    logger.info(
      renderTable(
        ['environment', 'expires', 'resources', 'action'],
        envs.map((e) => [e.env, e.expiresAt ?? '(never)', String(e.resources.length), expired.includes(e) ? (o.dryRun ? 'would reap' : 'reap') : 'keep']),
      ),
    );
    for (const e of o.dryRun ? [] : expired) {
      await steps.run(`reap ${e.env}`, async (ctx) => {
        const paths = envPaths(o.root, e.env);
        const log = createDeploymentLog({ path: paths.logFile });
        log.write(`==== reap ${e.env}: expired at ${e.expiresAt} (now ${o.now.toISOString()}) ====`);
        const removed = await removeEnvironment(createRunner(log), e.env);
        if (existsSync(paths.stateDir)) rmSync(paths.stateDir, { recursive: true, force: true });
        log.write(`==== reap ${e.env}: removed ${removed.length} resources ====`);
        ctx.progress(`removed ${removed.length} containers/networks/volumes`);
      });
    }
    return { success: true, reaped: o.dryRun ? [] : expired.map((e) => e.env) };
  } catch (error) {
    logger.error(`reap: ${(error as Error).message}`);
    return { success: false };
  }
}
