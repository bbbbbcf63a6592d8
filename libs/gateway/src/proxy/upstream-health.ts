import { request } from 'undici';
import { healthSchema } from '@llmp/contracts';
import type { HealthCheck } from '@llmp/http';

/** A service is up when its own `/healthz` says so; its checks are shown nested. */
export function upstreamHealthCheck(url: string): HealthCheck {
  return async (signal) => {
    const res = await request(new URL('/healthz', url), { signal, headersTimeout: 2000, bodyTimeout: 2000 });
    const text = await res.body.text();
    const parsed = healthSchema.safeParse(JSON.parse(text || '{}'));
    if (!parsed.success) throw new Error(`unexpected /healthz answer (HTTP ${res.statusCode})`);
    const checks = Object.fromEntries(
      Object.entries(parsed.data.checks).map(([name, c]) => [name, { status: c.status, latencyMs: c.latencyMs, ...(c.error ? { error: c.error } : {}) }]),
    );
    if (parsed.data.status !== 'ok') {
      const down = Object.entries(checks).filter(([, c]) => c.status === 'down').map(([n]) => n);
      throw Object.assign(new Error(`degraded: ${down.join(', ')} down`), { checks });
    }
    return { checks };
  };
}
