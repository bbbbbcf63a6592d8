import { logger, type ExecutorContext } from '@nx/devkit';
import { credentialsHint, writeSummary } from '../../lib/artifacts';
import { edgeTarget, requireDeployed } from '../../lib/deployed';
import { assertDockerRunning } from '../../lib/docker';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../lib/env-options';
import { saveEnvironment } from '../../lib/discovery';
import { names, type EnvState } from '../../lib/environment';
import { checkHealth, type HealthRow } from '../../lib/platform';
import { openSession } from '../../lib/session';
import { containerHealth, reloadNginx, writeNginxFiles } from '../../lib/stack';
import type { RollbackExecutorSchema } from './schema';

export interface NormalizedRollbackOptions extends NormalizedEnvOptions {
  nginxTemplate: string;
}

export function normalizeOptions(options: RollbackExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedRollbackOptions {
  return { ...normalizeEnvOptions(options, { root, env }), nginxTemplate: options.nginxTemplate ?? 'deploy/nginx/staging.conf.template' };
}

export default async function rollbackExecutor(options: RollbackExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `rollback ${o.env}` });
  const { steps, log, stack } = session;
  const startedAt = new Date();
  log.write(`==== rollback ${o.env} ====`);
  let health: HealthRow[] = [];
  let failure: Error | undefined;
  let d0 = session.state;
  try {
    const d = await requireDeployed(session);
    d0 = d.state;
    const target = d.state.previous;
    if (!target) throw new Error(`${o.env} has no previous release to return to (only ${d.active.id} was deployed, or stage ran with keepPrevious=false)`);
    await steps.run(`check release ${target.id}`, async (ctx) => {
      await assertDockerRunning();
      const containers = await containerHealth(session.sh, [names.releaseProject(o.env, target.id)]);
      const http = await checkHealth(edgeTarget(d, target.id));
      health = [...http.rows, ...containers];
      const down = health.filter((r) => r.status !== 'up');
      if (!containers.length) throw new Error(`release ${target.id} has no containers any more → stage again instead`);
      if (down.length) throw new Error(`release ${target.id} is not healthy (${down.map((r) => r.component).join(', ')}): traffic stays on ${d.active.id}`);
      ctx.progress(`${health.length} checks up`);
    });
    await steps.run('switch traffic', async (ctx) => {
      await writeNginxFiles(stack, { template: o.nginxTemplate, active: target.id, reachable: [target.id, d.active.id], expiresAt: d.state.expiresAt, image: d.state.edgeImages.nginx });
      await reloadNginx(stack, { port: d.state.port, expectRelease: target.id });
      await saveEnvironment(session.sh, { env: o.env, paths: o.paths, image: d.state.edgeImages.nginx }, { state: { ...d.state, active: target, previous: d.active } satisfies EnvState });
      ctx.progress(`http://127.0.0.1:${d.state.port} serves ${target.id} again (${d.active.id} kept as the rollback target)`);
    });
  } catch (error) {
    failure = error as Error;
  }
  const state = failure || !d0 ? d0 : { ...d0, active: d0.previous, previous: d0.active };
  writeSummary(
    o.paths,
    {
      env: o.env,
      outcome: failure ? 'failed' : 'rolled-back',
      url: state ? `http://127.0.0.1:${state.port}` : '(none)',
      expiresAt: state?.expiresAt ?? '',
      serving: state?.active?.id,
      previous: state?.previous?.id,
      revision: state?.active?.revision,
      images: state?.active?.images ?? {},
      health,
      smoke: [],
      steps: [...steps.records],
      failedStep: steps.records.find((r) => r.status === 'failed')?.title ?? (failure ? 'rollback' : undefined),
      error: failure?.message,
      credentials: session.credentials ? credentialsHint(o.paths, o.root, session.credentials.basicAuth.user) : '(none)',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      log: o.paths.logFile,
    },
    { secrets: session.secrets() },
  );
  log.write(`==== rollback ${o.env}: ${failure ? `failed: ${failure.message}` : `serving ${state?.active?.id}`} ====`);
  if (failure) {
    logger.error(`rollback ${o.env}: ${failure.message}`);
    return { success: false };
  }
  logger.info(`rolled back ${o.env} to ${state?.active?.id}`);
  return { success: true };
}
