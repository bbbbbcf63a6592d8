import type { LabelledResource } from '../../../lib/stack';

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
