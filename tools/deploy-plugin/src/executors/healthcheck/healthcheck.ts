import { logger, type ExecutorContext } from '@nx/devkit';
import { edgeTarget, requireDeployed } from '../../operations/deployed';
import { assertDockerRunning } from '../../process/docker';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../environment/options';
import { names } from '../../environment/names';
import { retry } from '../../operations/edge-http';
import { checkHealth, containerHealth, type HealthRow } from '../../operations/health';
import { openSession } from '../../environment/session';
import { renderHealthTable } from '../../operations/summary';
import type { HealthcheckExecutorSchema } from './schema';

export interface NormalizedHealthcheckOptions extends NormalizedEnvOptions {
  release?: string;
  attempts: number;
}

export function normalizeOptions(options: HealthcheckExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedHealthcheckOptions {
  const attempts = options.attempts ?? 1;
  if (!(Number.isInteger(attempts) && attempts >= 1 && attempts <= 300)) throw new Error(`attempts must be an integer from 1 to 300 (got ${attempts})`);
  return { ...normalizeEnvOptions(options, { root, env }), release: options.release, attempts };
}

export default async function healthcheckExecutor(options: HealthcheckExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `healthcheck ${o.env}`, writeLog: false });
  let rows: HealthRow[] = [];
  try {
    await session.steps.run('health', async (ctx) => {
      await assertDockerRunning(session.sh);
      const d = await requireDeployed(session);
      const release = o.release ?? d.active.id;
      await retry(
        async () => {
          const http = await checkHealth(edgeTarget(d, o.release));
          const containers = await containerHealth(session.sh, [names.edgeProject(o.env), names.releaseProject(o.env, release)]);
          rows = [...http.rows, ...containers];
          const down = rows.filter((r) => r.status !== 'up');
          if (down.length) throw new Error(`down: ${down.map((r) => r.component).join(', ')}`);
        },
        { attempts: o.attempts, intervalMs: 2000, timeoutMs: o.attempts * 5000 },
      );
      ctx.progress(`${rows.length} checks up (release ${release})`);
    });
    logger.info(renderHealthTable(rows));
    return { success: true };
  } catch (error) {
    if (rows.length) logger.info(renderHealthTable(rows));
    logger.error(`healthcheck ${o.env}: ${(error as Error).message}`);
    return { success: false };
  }
}
