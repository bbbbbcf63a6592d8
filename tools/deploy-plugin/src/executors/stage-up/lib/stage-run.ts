import { join } from 'node:path';
import type { Credentials } from '../../../environment/credentials';
import type { EnvironmentView } from '../../../environment/discovery';
import { newReleaseId } from '../../../environment/names';
import type { Session } from '../../../environment/session';
import { expiryFrom, type EnvState } from '../../../environment/state';
import type { HealthRow } from '../../../operations/health';
import type { SeedResult } from '../../../operations/seed';
import type { SmokeCheck } from '../../../operations/smoke';
import type { Edge, Routes } from '../../../operations/traffic';
import type { GitRevision } from '../../../process/git';
import { stageBudgetS, type NormalizedStageOptions } from './options';

/**
 * Everything one stage learns and changes, in one place: each step reads what the earlier ones
 * found and records what it did; recovery and the summary read it afterwards.
 */
export interface StageRun {
  readonly release: string;
  readonly startedAt: Date;
  /**
   * Stamped on the candidate's containers (and a new environment's edge) before it serves: the
   * lifetime counts from the switch, so until then it is bounded by the stage's budget on top.
   */
  readonly candidateExpiresAt: string;
  /** Where a fault-injection override is written, when one is asked for. */
  readonly faultFile: string;
  revision?: GitRevision;
  /** The environment as found before this run changed anything; undefined while it could not be read (then nothing is touched). */
  before?: EnvironmentView;
  credentials?: Credentials;
  images: Record<string, string>;
  port: number;
  edgeImages?: EnvState['edgeImages'];
  /** The environment's state as the edge step recorded it. */
  edgeState?: EnvState;
  /** Compose variables of the edge project. */
  edgeVars: Record<string, string>;
  /** Compose files added to the release project (fault injection). */
  extraFiles: string[];
  /** The candidate's compose project may have containers. */
  candidateStarted: boolean;
  /** Traffic moved to the candidate. */
  switched: boolean;
  /** The expiry once the candidate serves; computed once, at the switch. */
  expiresAt?: string;
  health: HealthRow[];
  smoke: SmokeCheck[];
  seed?: SeedResult;
  failure?: Error;
}

export function startRun(o: NormalizedStageOptions, now: Date): StageRun {
  const release = newReleaseId(now);
  return {
    release,
    startedAt: now,
    candidateExpiresAt: expiryFrom(now, o.ttlHours + stageBudgetS(o) / 3600),
    faultFile: join(o.paths.stateDir, `fault-${release}.yml`),
    images: {},
    port: 0,
    edgeVars: {},
    extraFiles: [],
    candidateStarted: false,
    switched: false,
    health: [],
    smoke: [],
  };
}

/** The environment's nginx for this run (pure); undefined before the edge image is known. */
export function edgeOf(session: Session, o: NormalizedStageOptions, run: StageRun): Edge | undefined {
  return run.edgeImages ? { stack: session.stack, template: o.nginxTemplate, port: run.port, image: run.edgeImages.nginx } : undefined;
}

/**
 * nginx's routes while the candidate is not serving (pure): the serving release stays the default,
 * and the candidate (once it runs) or else the previous release answers to X-LLMP-Release.
 */
export function routesBeforeSwitch(run: StageRun, { candidateRunning }: { candidateRunning: boolean }): Routes {
  const before = run.before?.state;
  return {
    serving: before?.active?.id,
    reachable: [before?.active?.id, candidateRunning ? run.release : before?.previous?.id],
    expiresAt: before?.expiresAt ?? run.candidateExpiresAt,
  };
}

/** nginx's routes once the candidate serves (pure): the release that served before stays reachable for rollback when kept. */
export function routesAfterSwitch(run: StageRun, { keepPrevious, expiresAt }: { keepPrevious: boolean; expiresAt: string }): Routes {
  const previous = run.before?.state?.active;
  return { serving: run.release, reachable: [run.release, keepPrevious ? previous?.id : undefined], expiresAt };
}
