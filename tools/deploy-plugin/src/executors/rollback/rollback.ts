import { logger, type ExecutorContext } from '@nx/devkit';
import { names } from '../../environment/names';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../environment/options';
import { openSession, type Session } from '../../environment/session';
import type { EnvState, ReleaseRecord } from '../../environment/state';
import { credentialsHint, writeSummary } from '../../operations/artifacts';
import { edgeTarget, requireDeployed, type Deployed } from '../../operations/deployed';
import { checkHealth, containerHealth, type HealthRow } from '../../operations/health';
import { switchTraffic } from '../../operations/traffic';
import { assertDockerRunning } from '../../process/docker';
import type { RollbackExecutorSchema } from './schema';

export interface NormalizedRollbackOptions extends NormalizedEnvOptions {
  nginxTemplate: string;
}

export function normalizeOptions(options: RollbackExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedRollbackOptions {
  return { ...normalizeEnvOptions(options, { root, env }), nginxTemplate: options.nginxTemplate ?? 'deploy/nginx/staging.conf.template' };
}

/** The release a rollback returns to (pure): the previous one, kept running by stage. */
export function rollbackTarget(env: string, { active, previous }: { active: ReleaseRecord; previous?: ReleaseRecord }): ReleaseRecord {
  if (!previous) throw new Error(`${env} has no previous release to return to (only ${active.id} was deployed, or stage ran with keepPrevious=false)`);
  return previous;
}

/** Traffic may move back only to a release that still has containers and answers healthy everywhere (pure). */
export function assertCanTakeTraffic({ target, serving, containers, health }: { target: string; serving: string; containers: readonly HealthRow[]; health: readonly HealthRow[] }): void {
  if (!containers.length) throw new Error(`release ${target} has no containers any more → stage again instead`);
  const down = health.filter((r) => r.status !== 'up');
  if (down.length) throw new Error(`release ${target} is not healthy (${down.map((r) => r.component).join(', ')}): traffic stays on ${serving}`);
}

/** The environment after a rollback (pure): the serving and the previous release trade places, the expiry stays. */
export function stateAfterRollback<S extends EnvState>(state: S): S {
  return { ...state, active: state.previous, previous: state.active };
}

async function rollBack(session: Session, o: NormalizedRollbackOptions, d: Deployed): Promise<HealthRow[]> {
  const target = rollbackTarget(o.env, { active: d.active, previous: d.state.previous });
  let health: HealthRow[] = [];
  await session.steps.run(`check release ${target.id}`, async (ctx) => {
    await assertDockerRunning(session.sh);
    const containers = await containerHealth(session.sh, [names.releaseProject(o.env, target.id)]);
    const http = await checkHealth(edgeTarget(d, target.id));
    health = [...http.rows, ...containers];
    assertCanTakeTraffic({ target: target.id, serving: d.active.id, containers, health });
    ctx.progress(`${health.length} checks up`);
  });
  await session.steps.run('switch traffic', async (ctx) => {
    const edge = { stack: session.stack, template: o.nginxTemplate, port: d.state.port, image: d.state.edgeImages.nginx };
    await switchTraffic(edge, { serving: target.id, reachable: [target.id, d.active.id], expiresAt: d.state.expiresAt }, { expectServing: target.id, state: stateAfterRollback(d.state) });
    ctx.progress(`http://127.0.0.1:${d.state.port} serves ${target.id} again (${d.active.id} kept as the rollback target)`);
  });
  return health;
}

export default async function rollbackExecutor(options: RollbackExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `rollback ${o.env}` });
  const { steps, log } = session;
  const startedAt = new Date();
  log.write(`==== rollback ${o.env} ====`);
  let health: HealthRow[] = [];
  let failure: Error | undefined;
  let before = session.state;
  try {
    const d = await requireDeployed(session);
    before = d.state;
    health = await rollBack(session, o, d);
  } catch (error) {
    failure = error as Error;
  }
  const state = failure || !before ? before : stateAfterRollback(before);
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
