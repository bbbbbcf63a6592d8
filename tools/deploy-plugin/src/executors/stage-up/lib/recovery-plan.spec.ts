import type { LabelledResource } from '../../../environment/resources';
import { planRecovery, recoveryFacts, routesAfterFailure } from './recovery-plan';

const aResource = (kind: LabelledResource['kind'], name: string, release = 'edge'): LabelledResource => ({ kind, id: `id-${name}`, name, env: 'pr-1', release, project: '', expiresAt: '' });
const edge = [aResource('container', 'postgres'), aResource('container', 'nginx'), aResource('network', 'net'), aResource('volume', 'pgdata'), aResource('volume', 'data'), aResource('volume', 'state')];
const serving = [aResource('container', 'gw-r1', 'r1'), aResource('container', 'ingestion-r1', 'r1')];
const candidate = [aResource('container', 'gw-r2', 'r2')];

describe('planRecovery', () => {
  it('removes only the candidate when an existing environment fails to re-stage, even with no local state', () => {
    const plan = planRecovery({ discovered: true, existedBefore: true, resourcesBefore: [...edge, ...serving], resourcesNow: [...edge, ...serving, ...candidate], candidate: 'r2', candidateStarted: true, servingBefore: 'r1', switched: false });
    expect(plan).toEqual({ collectCandidateLogs: true, routeBackTo: undefined, removeCandidate: true, forgetCandidateInNginx: true, removeResources: [] });
  });

  it('never removes volumes of an environment that existed before, even one without a serving release', () => {
    const plan = planRecovery({ discovered: true, existedBefore: true, resourcesBefore: edge, resourcesNow: [...edge, aResource('volume', 'new-volume')], candidate: 'r2', candidateStarted: false, switched: false });
    expect(plan.removeResources).toEqual([]);
    expect(plan.removeCandidate).toBe(false);
  });

  it('removes everything a failed first deploy created', () => {
    const plan = planRecovery({ discovered: true, existedBefore: false, resourcesBefore: [], resourcesNow: [...edge, ...candidate], candidate: 'r2', candidateStarted: true, switched: false });
    expect(plan.removeResources.map((r) => r.name)).toEqual([...edge, ...candidate].map((r) => r.name));
    expect(plan.forgetCandidateInNginx).toBe(false);
  });

  it('keeps resources that were there before a first deploy started', () => {
    const stray = aResource('volume', 'from-before');
    const kept = planRecovery({ discovered: true, existedBefore: false, resourcesBefore: [stray], resourcesNow: [stray, ...edge], candidate: 'r2', candidateStarted: false, switched: false });
    expect(kept.removeResources).not.toContainEqual(stray);
    expect(kept.removeResources).toHaveLength(edge.length);
  });

  it('changes nothing when the environment could not be read before the failure', () => {
    const plan = planRecovery({ discovered: false, existedBefore: false, resourcesBefore: [], resourcesNow: [...edge, ...serving], candidate: 'r2', candidateStarted: false, switched: false });
    expect(plan).toEqual({ collectCandidateLogs: false, removeCandidate: false, forgetCandidateInNginx: false, removeResources: [] });
  });

  it('routes traffic back to the release that served before when the failure came after the switch', () => {
    const plan = planRecovery({ discovered: true, existedBefore: true, resourcesBefore: [...edge, ...serving], resourcesNow: [...edge, ...serving, ...candidate], candidate: 'r2', candidateStarted: true, servingBefore: 'r1', switched: true });
    expect(plan.routeBackTo).toBe('r1');
    expect(plan.forgetCandidateInNginx).toBe(false);
  });
});

describe('recoveryFacts', () => {
  const before = { exists: true, resources: [...edge, ...serving], state: { env: 'pr-1', port: 8080, createdAt: '', edgeExpiresAt: '', expiresAt: '2026-01-05T00:00:00Z', edgeImages: { postgres: 'p', nginx: 'n' }, active: { id: 'r1', revision: '', images: {}, deployedAt: '' } } };

  it('reads what the run recorded: the environment before, the candidate, and how far it got', () => {
    expect(recoveryFacts({ release: 'r2', candidateStarted: true, switched: false, before }, candidate)).toEqual({
      discovered: true,
      existedBefore: true,
      resourcesBefore: before.resources,
      resourcesNow: candidate,
      candidate: 'r2',
      candidateStarted: true,
      servingBefore: 'r1',
      switched: false,
    });
  });

  it('treats an environment that could not be read as existing, so that nothing of it is removed', () => {
    const facts = recoveryFacts({ release: 'r2', candidateStarted: false, switched: false }, []);
    expect(facts).toMatchObject({ discovered: false, existedBefore: true, resourcesBefore: [] });
    expect(planRecovery(facts).removeResources).toEqual([]);
  });
});

describe('routesAfterFailure', () => {
  const state = { env: 'pr-1', port: 8080, createdAt: '', edgeExpiresAt: '', expiresAt: '2026-01-05T00:00:00Z', edgeImages: { postgres: 'p', nginx: 'n' }, active: { id: 'r1', revision: '', images: {}, deployedAt: '' }, previous: { id: 'r0', revision: '', images: {}, deployedAt: '' } };
  const now = new Date('2026-01-02T00:00:00Z');
  const planOf = (over: Partial<ReturnType<typeof planRecovery>>) => ({ collectCandidateLogs: true, removeCandidate: true, forgetCandidateInNginx: false, removeResources: [], ...over });

  it('routes back to the release that served, under its old expiry, and restores its state when traffic had moved', () => {
    expect(routesAfterFailure(planOf({ routeBackTo: 'r1' }), state, now)).toEqual({
      routes: { serving: 'r1', reachable: ['r1'], expiresAt: '2026-01-05T00:00:00Z' },
      routeBack: { release: 'r1', state },
    });
  });

  it('renders the routes as they were, without the candidate, when traffic never moved', () => {
    expect(routesAfterFailure(planOf({ forgetCandidateInNginx: true }), state, now)).toEqual({ routes: { serving: 'r1', reachable: ['r1', 'r0'], expiresAt: '2026-01-05T00:00:00Z' } });
  });

  it('leaves nginx alone when the plan does not touch it', () => {
    expect(routesAfterFailure(planOf({}), state, now)).toBeUndefined();
    expect(routesAfterFailure(planOf({ routeBackTo: 'r1' }), undefined, now)).toBeUndefined();
  });
});
