import { logger } from '@nx/devkit';
import type { Session } from '../../../environment/session';
import { credentialsHint, writeSummary } from '../../../operations/artifacts';
import type { DeploySummary } from '../../../operations/summary';
import type { NormalizedStageOptions } from './options';
import type { StageRun } from './stage-run';

/** What the stage did (pure): after a failure, what serves is what served before. */
export function stageSummary(o: NormalizedStageOptions, run: StageRun, { steps, finishedAt }: { steps: DeploySummary['steps']; finishedAt: Date }): DeploySummary {
  const before = run.before?.state;
  const failed = Boolean(run.failure);
  return {
    env: o.env,
    outcome: failed ? 'failed' : 'deployed',
    url: run.port ? `http://127.0.0.1:${run.port}` : '(none)',
    expiresAt: failed ? (before?.expiresAt ?? '(not deployed)') : (run.expiresAt ?? run.candidateExpiresAt),
    release: run.release,
    serving: failed ? before?.active?.id : run.release,
    previous: failed ? before?.previous?.id : o.keepPrevious ? before?.active?.id : undefined,
    revision: run.revision?.sha,
    images: failed ? (before?.active?.images ?? run.images) : run.images,
    health: run.health,
    smoke: run.smoke,
    seed: run.seed,
    steps,
    failedStep: steps.find((r) => r.status === 'failed')?.title,
    error: run.failure?.message,
    credentials: run.credentials ? credentialsHint(o.paths, o.root, run.credentials.basicAuth.user) : '(none)',
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    log: o.paths.logFile,
  };
}

/** Summary files, the log's last line and the terminal's last words. */
export function report(session: Session, o: NormalizedStageOptions, run: StageRun): { success: boolean } {
  const summary = stageSummary(o, run, { steps: [...session.steps.records], finishedAt: new Date() });
  writeSummary(o.paths, summary, { secrets: session.secrets() });
  session.log.write(`==== stage ${o.env}: ${summary.outcome}${run.failure ? ` at "${summary.failedStep}"` : ''}; serving ${summary.serving ?? 'nothing'} ====`);
  if (run.failure) {
    const previous = run.before?.state?.active;
    logger.error(`\nStaging ${o.env} failed at "${summary.failedStep}": ${run.failure.message}`);
    logger.error(
      previous
        ? `The previous release ${previous.id} keeps serving http://127.0.0.1:${run.port}.`
        : run.before?.exists !== false
          ? `The environment ${o.env} was kept as it was (it had no serving release).`
          : 'Nothing was left running (first deploy).',
    );
    logger.error(`Details: ${o.paths.logFile}`);
    return { success: false };
  }
  logger.info(`\nStaged ${o.env}: http://127.0.0.1:${run.port} (release ${run.release}, expires ${summary.expiresAt})\nSummary: ${o.paths.summaryMd}\nCredentials: ${summary.credentials}`);
  return { success: true };
}
