import { resolveEnvironmentView } from './discovery';
import type { Credentials } from './credentials';
import type { LabelledResource } from './resources';
import type { EnvState } from './state';

const credentials: Credentials = { basicAuth: { user: 'llmp', password: 'b' }, users: { admin: 'a', manager: 'm', user: 'u' }, postgresPassword: 'pg', internalSecret: 'i'.repeat(32) };
const state = (env: string, port: number): EnvState => ({
  env,
  port,
  createdAt: '2026-01-01T00:00:00Z',
  edgeExpiresAt: '2026-01-04T00:00:00Z',
  expiresAt: '2026-01-04T00:00:00Z',
  edgeImages: { postgres: 'llmp/postgres:17-pgvector', nginx: 'llmp/nginx:1-trixie' },
  active: { id: 'r260101000000', revision: 'abc', images: {}, deployedAt: '2026-01-01T00:01:00Z' },
});
const aResource = (kind: LabelledResource['kind'], name: string, release = 'edge'): LabelledResource => ({ kind, id: name, name, env: 'pr-1', release, project: '', expiresAt: '2026-01-04T00:00:00Z' });
const live = [aResource('container', 'llmp-stage-pr-1-postgres-1'), aResource('volume', 'llmp-stage-pr-1-state'), aResource('container', 'gw', 'r260101000000')];

describe('resolveEnvironmentView', () => {
  it('finds an existing environment from the engine when the local state is gone', () => {
    const view = resolveEnvironmentView({ env: 'pr-1', resources: live, engine: { state: state('pr-1', 18080), credentials }, local: {} });
    expect(view).toMatchObject({ exists: true, source: 'engine', credentials, state: { port: 18080, active: { id: 'r260101000000' } } });
  });

  it('prefers the engine over a stale local cache', () => {
    const view = resolveEnvironmentView({ env: 'pr-1', resources: live, engine: { state: state('pr-1', 18080), credentials }, local: { state: state('pr-1', 19999), credentials: { ...credentials, postgresPassword: 'stale' } } });
    expect(view.state?.port).toBe(18080);
    expect(view.credentials?.postgresPassword).toBe('pg');
  });

  it('uses the local cache for an environment staged before it had a state volume', () => {
    const view = resolveEnvironmentView({ env: 'pr-1', resources: live, engine: {}, local: { state: state('pr-1', 18080), credentials } });
    expect(view).toMatchObject({ exists: true, source: 'local-cache' });
  });

  it('refuses to treat an environment found on the engine as new when its credentials are found nowhere', () => {
    expect(() => resolveEnvironmentView({ env: 'pr-1', resources: live, engine: {}, local: {} })).toThrow(/exists on this engine \(3 containers\/networks\/volumes\)[\s\S]*Nothing was changed/);
  });

  it('is a new environment when the engine has nothing of it, whatever the local cache says', () => {
    expect(resolveEnvironmentView({ env: 'pr-1', resources: [], engine: {}, local: { state: state('pr-1', 18080), credentials } })).toEqual({ exists: false, source: 'none', resources: [] });
  });
});
