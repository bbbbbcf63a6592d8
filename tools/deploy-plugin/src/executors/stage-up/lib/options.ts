import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../../environment/options';
import { parseStageSettings } from '../../../environment/settings';
import { normalizeRegistry } from '../../../operations/registry';
import type { StageStep, StageUpExecutorSchema } from '../schema';

export interface NormalizedStageOptions extends NormalizedEnvOptions {
  nginxTemplate: string;
  ttlHours: number;
  port?: number;
  build: 'all' | 'affected' | 'none';
  profiles: string[];
  imagePrefix: string;
  postgresImage?: string;
  nginxImage?: string;
  pullTimeoutMs: number;
  buildLocalBaseImages: boolean;
  waitTimeoutS: number;
  seed: boolean;
  smoke: boolean;
  keepPrevious: boolean;
  failAt?: StageStep;
  showCredentials: boolean;
  registry?: string;
}

/** Seconds the health step may take through nginx. */
export const HEALTH_DEADLINE_S = 60;
/** Seconds seed and smoke may each take, retries included. */
export const SEED_DEADLINE_S = 90;
export const SMOKE_DEADLINE_S = 90;

/**
 * The longest a stage can take once containers start: the release becoming healthy, the health
 * checks through nginx, seed and smoke (pure). A lifetime shorter than this could expire mid-stage.
 */
export function stageBudgetS({ waitTimeoutS, seed, smoke }: { waitTimeoutS: number; seed: boolean; smoke: boolean }): number {
  return waitTimeoutS + HEALTH_DEADLINE_S + (seed ? SEED_DEADLINE_S : 0) + (smoke ? SMOKE_DEADLINE_S : 0);
}

function assertLifetimeCoversStage(ttlHours: number, { waitTimeoutS, seed, smoke }: { waitTimeoutS: number; seed: boolean; smoke: boolean }): void {
  const budget = stageBudgetS({ waitTimeoutS, seed, smoke });
  if (ttlHours * 3600 >= budget) return;
  const parts = `waitTimeoutS ${waitTimeoutS} + health ${HEALTH_DEADLINE_S}${seed ? ` + seed ${SEED_DEADLINE_S}` : ''}${smoke ? ` + smoke ${SMOKE_DEADLINE_S}` : ''}`;
  throw new Error(`ttlHours ${ttlHours} (${Math.round(ttlHours * 3600)} s) is shorter than this stage can take (${budget} s: ${parts}) → use ttlHours ≥ ${Math.ceil((budget / 3600) * 1000) / 1000}`);
}

/**
 * Options over settings over defaults, once (pure). The lifetime comes from the option, else from
 * LLMP_STAGE_TTL_HOURS in the settings (parsed: a bad value is an error), else 72 hours.
 */
export function normalizeOptions(
  options: StageUpExecutorSchema,
  { root, env, settings = {}, isTTY = false }: { root: string; env: NodeJS.ProcessEnv; settings?: Record<string, string | undefined>; isTTY?: boolean },
): NormalizedStageOptions {
  const base = normalizeEnvOptions(options, { root, env });
  const ttlHours = options.ttlHours ?? parseStageSettings(settings, `the settings of ${base.envFile} and the process environment`).LLMP_STAGE_TTL_HOURS;
  if (!(ttlHours > 0)) throw new Error(`ttlHours must be positive (got ${ttlHours})`);
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) throw new Error(`port must be 1-65535 (got ${options.port})`);
  const checks = { waitTimeoutS: options.waitTimeoutS ?? 300, seed: options.seed ?? true, smoke: options.smoke ?? true };
  assertLifetimeCoversStage(ttlHours, checks);
  const ci = Boolean(env['CI']) && env['CI'] !== 'false';
  return {
    ...base,
    nginxTemplate: options.nginxTemplate ?? 'deploy/nginx/staging.conf.template',
    ttlHours,
    port: options.port,
    build: options.build ?? 'all',
    profiles: options.profiles ?? [],
    imagePrefix: options.imagePrefix ?? 'llmp',
    postgresImage: options.postgresImage,
    nginxImage: options.nginxImage,
    pullTimeoutMs: options.pullTimeoutMs ?? 15_000,
    buildLocalBaseImages: options.buildLocalBaseImages ?? true,
    ...checks,
    keepPrevious: options.keepPrevious ?? true,
    failAt: options.failAt,
    registry: normalizeRegistry(options.registry, env),
    // Passwords go to a terminal only: never into CI logs or output redirected to a file.
    showCredentials: options.showCredentials ?? (!ci && isTTY),
  };
}
