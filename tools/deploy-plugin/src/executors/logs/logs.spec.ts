import { normalizeOptions, splitServices } from './logs';

describe('splitServices', () => {
  it('asks each project for its own services', () => {
    expect(splitServices(['nginx', 'api-gateway'])).toEqual({ edge: ['nginx'], release: ['api-gateway'] });
    expect(splitServices(['postgres'])).toEqual({ edge: ['postgres'], release: undefined });
  });

  it('asks both for everything when no service is named', () => {
    expect(splitServices([])).toEqual({ edge: [], release: [] });
  });
});

describe('logs normalizeOptions', () => {
  it('tails 200 lines by default and rejects a bad tail', () => {
    expect(normalizeOptions({}, { root: '/r', env: {} })).toMatchObject({ env: 'staging', tail: 200, services: [] });
    expect(() => normalizeOptions({ tail: 0 }, { root: '/r', env: {} })).toThrow(/positive integer/);
  });
});
