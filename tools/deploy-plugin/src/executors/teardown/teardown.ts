import { logger, type ExecutorContext } from '@nx/devkit';
import { rmSync } from 'node:fs';
import { assertDockerRunning } from '../../process/docker';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../environment/options';
import { openSession } from '../../environment/session';
import { listResources, removeEnvironment } from '../../environment/resources';
import type { TeardownExecutorSchema } from './schema';

export function normalizeOptions(options: TeardownExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedEnvOptions {
  return normalizeEnvOptions(options, { root, env });
}

export default async function teardownExecutor(options: TeardownExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `teardown ${o.env}` });
  const { steps, log } = session;
  log.write(`==== teardown ${o.env} ====`);
  try {
    await steps.run('remove containers, networks, volumes', async (ctx) => {
      await assertDockerRunning(session.sh);
      const removed = await removeEnvironment(session.sh, o.env);
      ctx.progress(removed.length ? `removed ${removed.map((r) => `${r.kind} ${r.name}`).join(', ')}` : 'nothing was running');
    });
    await steps.run('forget state and credentials', async () => {
      rmSync(o.paths.stateDir, { recursive: true, force: true });
    });
    await steps.run('verify nothing is left', async () => {
      const left = await listResources(session.sh, o.env);
      if (left.length) throw new Error(`still present: ${left.map((r) => `${r.kind} ${r.name}`).join(', ')} → docker rm -f / docker network rm / docker volume rm them`);
    });
    log.write(`==== teardown ${o.env}: done ====`);
    logger.info(`${o.env} is gone (artifacts kept in ${o.paths.artifactsDir})`);
    return { success: true };
  } catch (error) {
    log.write(`==== teardown ${o.env}: failed ====`);
    logger.error(`teardown ${o.env}: ${(error as Error).message}`);
    return { success: false };
  }
}
