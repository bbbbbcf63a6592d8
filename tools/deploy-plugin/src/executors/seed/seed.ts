import { logger, type ExecutorContext } from '@nx/devkit';
import { edgeTarget, requireDeployed } from '../../operations/deployed';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../environment/options';
import { seed } from '../../operations/seed';
import { openSession } from '../../environment/session';
import type { SeedExecutorSchema } from './schema';

export interface NormalizedSeedOptions extends NormalizedEnvOptions {
  release?: string;
}

export function normalizeOptions(options: SeedExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedSeedOptions {
  return { ...normalizeEnvOptions(options, { root, env }), release: options.release };
}

export default async function seedExecutor(options: SeedExecutorSchema, context: ExecutorContext): Promise<{ success: boolean; created?: string[]; unchanged?: string[] }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `seed ${o.env}` });
  try {
    const result = await session.steps.run('seed', async (ctx) => {
      const d = await requireDeployed(session);
      const r = await seed(edgeTarget(d, o.release), d.credentials);
      ctx.progress(`created: ${r.created.join(', ') || 'nothing'}; unchanged: ${r.unchanged.join(', ')}`);
      return r;
    });
    logger.info(`seeded ${o.env}: created ${result.created.join(', ') || 'nothing'}; unchanged ${result.unchanged.join(', ')}`);
    return { success: true, ...result };
  } catch (error) {
    logger.error(`seed ${o.env}: ${(error as Error).message}`);
    return { success: false };
  }
}
