import type { ExecutorContext } from '@nx/devkit';
import { rmSync } from 'node:fs';
import { DEFAULT_ENV_FILE } from '../../environment/options';
import { openSession, readSettingsSource } from '../../environment/session';
import { apply } from './lib/apply';
import { normalizeOptions } from './lib/options';
import { plan } from './lib/plan';
import { recover } from './lib/recover';
import { report } from './lib/report';
import { startRun } from './lib/stage-run';
import type { StageUpExecutorSchema } from './schema';

export { HEALTH_DEADLINE_S, normalizeOptions, SEED_DEADLINE_S, SMOKE_DEADLINE_S, stageBudgetS, type NormalizedStageOptions } from './lib/options';

/**
 * Stages the platform: plan (engine, environment, configuration, images) → apply (edge, migrate,
 * start, health, seed, smoke, switch traffic, retire) → on failure, recover what was there before.
 */
export default async function stageUpExecutor(options: StageUpExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const source = readSettingsSource({ root: context.root, envFile: options.envFile ?? DEFAULT_ENV_FILE });
  const o = normalizeOptions(options, { root: context.root, env: process.env, settings: source.values, isTTY: process.stdout.isTTY });
  const session = openSession(o, { scope: `stage ${o.env}`, source });
  const run = startRun(o, new Date());
  session.log.write(`==== stage ${o.env}: release ${run.release} ====`);
  try {
    await plan(session, o, run);
    await apply(session, o, run);
  } catch (error) {
    run.failure = error as Error;
    await recover(session, o, run);
  } finally {
    rmSync(run.faultFile, { force: true });
  }
  return report(session, o, run);
}
