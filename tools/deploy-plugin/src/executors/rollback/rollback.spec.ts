import { itResolvesTheEnvironment } from '../../environment/options.testing';
import type { EnvState, ReleaseRecord } from '../../environment/state';
import type { HealthRow } from '../../operations/health';
import { assertCanTakeTraffic, normalizeOptions, rollbackTarget, stateAfterRollback } from './rollback';

describe('rollback normalizeOptions', () => {
  itResolvesTheEnvironment(normalizeOptions);
});

const aRelease = (id: string): ReleaseRecord => ({ id, revision: `rev-${id}`, images: { 'api-gateway': `llmp/api-gateway:${id}` }, deployedAt: '2026-01-01T00:00:00Z' });
const aState = (over: Partial<EnvState> = {}): EnvState => ({
  env: 'pr-1',
  port: 8080,
  createdAt: '2026-01-01T00:00:00Z',
  edgeExpiresAt: '2026-01-04T00:00:00Z',
  expiresAt: '2026-01-05T00:00:00Z',
  edgeImages: { postgres: 'llmp/postgres:17-pgvector', nginx: 'llmp/nginx:1-trixie' },
  active: aRelease('r2'),
  previous: aRelease('r1'),
  ...over,
});
const up = (component: string): HealthRow => ({ component, status: 'up' });

describe('rollback decisions', () => {
  it('returns to the previous release', () => {
    expect(rollbackTarget('pr-1', { active: aRelease('r2'), previous: aRelease('r1') }).id).toBe('r1');
  });

  it('refuses when only one release was ever deployed (or previous ones were not kept)', () => {
    expect(() => rollbackTarget('pr-1', { active: aRelease('r2') })).toThrow(/pr-1 has no previous release to return to \(only r2 was deployed, or stage ran with keepPrevious=false\)/);
  });

  it('moves traffic only to a release whose containers all run and whose checks are all up', () => {
    const containers = [up('container llmp-stage-pr-1-r1/api-gateway')];
    expect(() => assertCanTakeTraffic({ target: 'r1', serving: 'r2', containers, health: [up('api-gateway'), ...containers] })).not.toThrow();
  });

  it('keeps traffic where it is when the previous release has no containers left', () => {
    expect(() => assertCanTakeTraffic({ target: 'r1', serving: 'r2', containers: [], health: [up('api-gateway')] })).toThrow(/release r1 has no containers any more → stage again instead/);
  });

  it('keeps traffic where it is, naming what is down, when the previous release is unhealthy', () => {
    const containers = [{ component: 'container llmp-stage-pr-1-r1/api-gateway', status: 'down' as const, detail: 'Exited (1)' }];
    expect(() => assertCanTakeTraffic({ target: 'r1', serving: 'r2', containers, health: [up('api-gateway'), { component: 'database', status: 'down' }, ...containers] })).toThrow(
      'release r1 is not healthy (database, container llmp-stage-pr-1-r1/api-gateway): traffic stays on r2',
    );
  });

  it('swaps the serving and previous release and keeps the expiry, so that a second rollback undoes the first', () => {
    const before = aState();
    const after = stateAfterRollback(before);
    expect(after).toMatchObject({ active: { id: 'r1' }, previous: { id: 'r2' }, expiresAt: before.expiresAt, port: 8080 });
    expect(stateAfterRollback(after)).toEqual(before);
  });
});
