import { logger } from '@nx/devkit';
import { rmSync } from 'node:fs';
import { listResources, removeResources, type LabelledResource } from '../../../environment/resources';
import type { Session } from '../../../environment/session';
import { switchTraffic } from '../../../operations/traffic';
import { candidateCompose } from './apply';
import type { NormalizedStageOptions } from './options';
import { planRecovery, recoveryFacts, routesAfterFailure } from './recovery-plan';
import { edgeOf, type StageRun } from './stage-run';

/** Runs one cleanup action; a failure is logged and the next action still runs. */
function attempter(session: Session) {
  return async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      session.log.write(`[recover] ${what} failed: ${(error as Error).message}`);
      logger.warn(`cleanup: ${what} failed: ${(error as Error).message.split('\n')[0]}`);
    }
  };
}

/** The local state goes with an environment that no longer exists; otherwise the log says what was kept. */
function settleLocalState(session: Session, o: NormalizedStageOptions, run: StageRun, removal: { planned: number; done: boolean }): void {
  const before = run.before;
  if (removal.planned) {
    if (!removal.done) return;
    session.log.write(`[recover] first deploy failed: removed ${removal.planned} containers/networks/volumes of ${o.env}`);
    rmSync(o.paths.stateDir, { recursive: true, force: true });
  } else if (before && !before.exists) rmSync(o.paths.stateDir, { recursive: true, force: true });
  else if (!before) session.log.write('[recover] the environment could not be read before the failure: nothing was changed');
  else session.log.write(`[recover] ${before.state?.active ? `release ${before.state.active.id} keeps serving` : 'the environment had no serving release'}; its volumes and data are kept`);
}

/** Recover: puts the environment back as it was: the previous release serving, or nothing at all after a failed first deploy. */
export async function recover(session: Session, o: NormalizedStageOptions, run: StageRun): Promise<void> {
  const attempt = attempter(session);
  let resourcesNow: LabelledResource[] = [];
  if (run.before) await attempt('list the environment', async () => void (resourcesNow = await listResources(session.sh, o.env)));
  const plan = planRecovery(recoveryFacts(run, resourcesNow));
  session.log.write(`[recover] plan: ${JSON.stringify({ ...plan, removeResources: plan.removeResources.map((r) => `${r.kind} ${r.name}`) })}`);
  const candidate = candidateCompose(session, run);
  const edge = edgeOf(session, o, run);
  const reroute = edge ? routesAfterFailure(plan, run.before?.state, new Date()) : undefined;
  if (plan.collectCandidateLogs) {
    await attempt('collect the failed release logs', async () => {
      const logs = await candidate.logs([], { tail: 80 });
      session.log.write(`[recover] last log lines of release ${run.release}:\n${logs.stdout}${logs.stderr}`);
    });
  }
  const back = reroute?.routeBack;
  if (edge && reroute && back) await attempt('route traffic back', () => switchTraffic(edge, reroute.routes, { expectServing: back.release, state: back.state }));
  if (plan.removeCandidate) await attempt(`remove release ${run.release}`, () => candidate.down({ timeoutS: 5 }));
  if (edge && reroute && !back) await attempt('forget the candidate in nginx', () => switchTraffic(edge, reroute.routes));
  const removal = { planned: plan.removeResources.length, done: false };
  if (removal.planned) {
    await attempt('remove the environment created by this run', async () => {
      await removeResources(session.sh, plan.removeResources);
      removal.done = true;
    });
  }
  settleLocalState(session, o, run, removal);
}
