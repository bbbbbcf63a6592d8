import { logger, type ExecutorContext } from '@nx/devkit';
import { deployedVars, requireDeployed } from '../../operations/deployed';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../environment/options';
import { openSession } from '../../environment/session';
import { releaseCompose } from '../../operations/stack';
import type { MigrateExecutorSchema } from './schema';

export interface NormalizedMigrateOptions extends NormalizedEnvOptions {
  release?: string;
}

export function normalizeOptions(options: MigrateExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedMigrateOptions {
  return { ...normalizeEnvOptions(options, { root, env }), release: options.release };
}

export default async function migrateExecutor(options: MigrateExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `migrate ${o.env}` });
  try {
    await session.steps.run('migrate', async (ctx) => {
      const d = await requireDeployed(session);
      const release = [d.active, d.state.previous].find((r) => r && r.id === (o.release ?? d.active.id));
      if (!release) throw new Error(`release ${o.release} is not the serving or previous release of ${o.env} (${d.active.id}${d.state.previous ? `, ${d.state.previous.id}` : ''})`);
      const r = await releaseCompose(session.stack, release.id, deployedVars(session, d, release)).run('migrate');
      for (const line of r.stdout.trim().split('\n').filter(Boolean).slice(-5)) ctx.progress(line.slice(0, 200));
    });
    return { success: true };
  } catch (error) {
    logger.error(`migrate ${o.env}: ${(error as Error).message}`);
    return { success: false };
  }
}
