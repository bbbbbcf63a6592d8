import type { LabelledResource } from '../../../environment/resources';
import type { EnvState } from '../../../environment/state';
import type { Routes } from '../../../operations/traffic';

export interface RecoveryFacts {
  /** The environment was read from the engine before anything failed; if not, nothing is known and nothing is touched. */
  discovered: boolean;
  /** The environment had resources on the engine when the command started (labels, not local files). */
  existedBefore: boolean;
  /** Every resource of the environment when the command started. */
  resourcesBefore: readonly LabelledResource[];
  /** Every resource of the environment now. */
  resourcesNow: readonly LabelledResource[];
  candidate: string;
  /** The candidate release's compose project may have containers. */
  candidateStarted: boolean;
  /** The release that served when the command started. */
  servingBefore?: string;
  /** Traffic had moved to the candidate before the failure. */
  switched: boolean;
}

export interface RecoveryPlan {
  collectCandidateLogs: boolean;
  /** Route traffic back to this release. */
  routeBackTo?: string;
  removeCandidate: boolean;
  /** Render nginx without the candidate (existing environments whose traffic never moved). */
  forgetCandidateInNginx: boolean;
  /** Resources this run created in an environment that did not exist before it. */
  removeResources: LabelledResource[];
}

const key = (r: LabelledResource) => `${r.kind}:${r.id}`;

/**
 * What a failed stage undoes (pure). It only ever removes what this run created: never the release
 * that served before, never anything of an environment that existed before the command started.
 */
export function planRecovery(f: RecoveryFacts): RecoveryPlan {
  if (!f.discovered) return { collectCandidateLogs: false, removeCandidate: false, forgetCandidateInNginx: false, removeResources: [] };
  const before = new Set(f.resourcesBefore.map(key));
  const createdNow = f.resourcesNow.filter((r) => !before.has(key(r)) && !(f.servingBefore && r.release === f.servingBefore));
  return {
    collectCandidateLogs: f.candidateStarted,
    routeBackTo: f.switched && f.servingBefore ? f.servingBefore : undefined,
    removeCandidate: f.candidateStarted && f.candidate !== f.servingBefore,
    forgetCandidateInNginx: f.existedBefore && f.candidateStarted && !f.switched,
    removeResources: f.existedBefore ? [] : createdNow,
  };
}

/** The facts recovery decides on, from what the run recorded and what the engine holds now (pure). */
export function recoveryFacts(
  run: { release: string; candidateStarted: boolean; switched: boolean; before?: { exists: boolean; resources: LabelledResource[]; state?: EnvState } },
  resourcesNow: readonly LabelledResource[],
): RecoveryFacts {
  return {
    discovered: Boolean(run.before),
    existedBefore: run.before?.exists ?? true,
    resourcesBefore: run.before?.resources ?? [],
    resourcesNow,
    candidate: run.release,
    candidateStarted: run.candidateStarted,
    servingBefore: run.before?.state?.active?.id,
    switched: run.switched,
  };
}

export interface Reroute {
  routes: Routes;
  /** Traffic had moved: the release that served before must answer again, and its state is restored. */
  routeBack?: { release: string; state: EnvState };
}

/**
 * How nginx routes after a failed stage (pure): back to the release that served before when the
 * failure came after the switch; otherwise as before, without the candidate. Undefined: leave nginx alone.
 */
export function routesAfterFailure(plan: RecoveryPlan, before: EnvState | undefined, now: Date): Reroute | undefined {
  if (plan.routeBackTo && before) {
    return { routes: { serving: plan.routeBackTo, reachable: [plan.routeBackTo], expiresAt: before.expiresAt }, routeBack: { release: plan.routeBackTo, state: before } };
  }
  if (plan.forgetCandidateInNginx) {
    return { routes: { serving: before?.active?.id, reachable: [before?.active?.id, before?.previous?.id], expiresAt: before?.expiresAt ?? now.toISOString() } };
  }
  return undefined;
}
