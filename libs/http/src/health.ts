import type { DependencyCheck, Health } from '@llmp/contracts';

/** A dependency probe: resolves when healthy, may return nested checks (a service's own). */
export type HealthCheck = (signal: AbortSignal) => Promise<void | Pick<DependencyCheck, 'checks'>>;

export interface HealthOptions {
  service: string;
  version: string;
  checks: Record<string, HealthCheck>;
  timeoutMs?: number;
  startedAt?: number;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<DependencyCheck> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    const result = await Promise.race([
      check(controller.signal),
      new Promise<never>((_, reject) =>
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
      ),
    ]);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return { status: 'up', latencyMs, ...(result && result.checks ? { checks: result.checks } : {}) };
  } catch (error) {
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    return { status: 'down', latencyMs, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every check at once, each bounded by the timeout. The default leaves room for a healthy
 * dependency on a loaded host (two releases side by side on two cores answered in 2–3 s), so
 * that CPU pressure alone does not report a serving release as degraded.
 */
export async function checkHealth({ service, version, checks, timeoutMs = 4000, startedAt = Date.now() }: HealthOptions): Promise<Health> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name], timeoutMs)));
  const byName = Object.fromEntries(names.map((name, i) => [name, results[i]]));
  const status = results.every((r) => r.status === 'up') ? 'ok' : 'degraded';
  return { status, service, version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), checks: byName };
}
