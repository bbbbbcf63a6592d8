import { envPaths } from '../../../environment/paths';
import type { EnvironmentView } from '../../../environment/discovery';
import { normalizeOptions } from './options';
import { routesAfterSwitch, routesBeforeSwitch, startRun } from './stage-run';

const o = normalizeOptions({ env: 'pr-1', ttlHours: 24 }, { root: '/repo', env: {} });
const served: EnvironmentView = {
  exists: true,
  source: 'engine',
  resources: [],
  state: {
    env: 'pr-1',
    port: 8080,
    createdAt: '2026-01-01T00:00:00Z',
    edgeExpiresAt: '2026-01-02T00:00:00Z',
    expiresAt: '2026-01-03T00:00:00Z',
    edgeImages: { postgres: 'p', nginx: 'n' },
    active: { id: 'r260101000000', revision: 'a', images: {}, deployedAt: '' },
    previous: { id: 'r251231000000', revision: 'b', images: {}, deployedAt: '' },
  },
};

describe('startRun', () => {
  it('names the release after the time and bounds the candidate by the lifetime plus the stage budget', () => {
    const run = startRun(o, new Date('2026-01-02T03:04:05Z'));
    expect(run.release).toBe('r260102030405');
    // 24 h + (300 + 60 + 90 + 90) s
    expect(run.candidateExpiresAt).toBe('2026-01-03T03:13:05Z');
    expect(run.faultFile).toBe(`${envPaths('/repo', 'pr-1').stateDir}/fault-r260102030405.yml`);
    expect(run).toMatchObject({ candidateStarted: false, switched: false });
    expect(run.expiresAt).toBeUndefined();
  });
});

describe('routes of a stage', () => {
  const run = { ...startRun(o, new Date('2026-01-02T03:04:05Z')), before: served };

  it('keeps the serving release as the default and its expiry until the switch', () => {
    expect(routesBeforeSwitch(run, { candidateRunning: false })).toEqual({ serving: 'r260101000000', reachable: ['r260101000000', 'r251231000000'], expiresAt: '2026-01-03T00:00:00Z' });
    expect(routesBeforeSwitch(run, { candidateRunning: true }).reachable).toEqual(['r260101000000', run.release]);
  });

  it('stamps a new environment with the candidate expiry before anything serves', () => {
    const fresh = { ...run, before: { exists: false, source: 'none' as const, resources: [] } };
    expect(routesBeforeSwitch(fresh, { candidateRunning: true })).toEqual({ serving: undefined, reachable: [undefined, run.release], expiresAt: run.candidateExpiresAt });
  });

  it('serves the candidate after the switch and keeps the previous release reachable only when asked', () => {
    expect(routesAfterSwitch(run, { keepPrevious: true, expiresAt: 'X' })).toEqual({ serving: run.release, reachable: [run.release, 'r260101000000'], expiresAt: 'X' });
    expect(routesAfterSwitch(run, { keepPrevious: false, expiresAt: 'X' }).reachable).toEqual([run.release, undefined]);
  });
});
