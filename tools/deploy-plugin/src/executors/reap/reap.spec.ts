import { expiredEnvironments, normalizeOptions } from './reap';

const env = (name: string, expiresAt?: string) => ({ env: name, expiresAt, resources: [] });

describe('expiredEnvironments', () => {
  const now = new Date('2026-01-02T00:00:00Z');

  it('selects environments whose latest expiry has passed', () => {
    expect(expiredEnvironments([env('old', '2026-01-01T00:00:00Z'), env('new', '2026-01-05T00:00:00Z'), env('now', '2026-01-02T00:00:00Z')], now).map((e) => e.env)).toEqual(['old', 'now']);
  });

  it('never selects an environment without an expiry stamp', () => {
    expect(expiredEnvironments([env('manual')], now)).toEqual([]);
  });
});

describe('reap normalizeOptions', () => {
  it('defaults to the real time and no dry run', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(normalizeOptions({}, { root: '/r', now })).toEqual({ root: '/r', now, dryRun: false });
  });

  it('accepts an ISO time for now and rejects anything else', () => {
    expect(normalizeOptions({ now: '2030-01-01T00:00:00Z' }, { root: '/r' }).now.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(() => normalizeOptions({ now: 'tomorrow' }, { root: '/r' })).toThrow(/ISO/);
  });
});
