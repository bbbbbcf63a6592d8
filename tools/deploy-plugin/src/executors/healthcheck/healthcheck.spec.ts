import { normalizeOptions } from './healthcheck';

describe('healthcheck normalizeOptions', () => {
  it('checks the serving release once by default', () => {
    expect(normalizeOptions({ env: 'pr-1' }, { root: '/r', env: {} })).toMatchObject({ env: 'pr-1', attempts: 1, release: undefined });
  });

  it('bounds the number of attempts', () => {
    expect(() => normalizeOptions({ attempts: 0 }, { root: '/r', env: {} })).toThrow(/from 1 to 300/);
    expect(() => normalizeOptions({ attempts: 1000 }, { root: '/r', env: {} })).toThrow(/from 1 to 300/);
  });
});
