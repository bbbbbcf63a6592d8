import { faultOverride } from './lib/fault-injection';
import { normalizeOptions, stageBudgetS } from './stage-up';

describe('stage-up normalizeOptions', () => {
  it('stages "staging" for 72 hours by default, with every check on', () => {
    const o = normalizeOptions({}, { root: '/repo', env: {}, isTTY: true });
    expect(o).toMatchObject({ env: 'staging', ttlHours: 72, build: 'all', seed: true, smoke: true, keepPrevious: true, waitTimeoutS: 300, showCredentials: true });
    expect(o.paths.logFile).toBe('/repo/dist/deploy/staging/deployment.log');
  });

  it('takes the environment from LLMP_STAGE_ENV and the lifetime from the settings file', () => {
    expect(normalizeOptions({}, { root: '/r', env: { LLMP_STAGE_ENV: 'pr-7' }, settings: { LLMP_STAGE_TTL_HOURS: '24' } })).toMatchObject({ env: 'pr-7', ttlHours: 24 });
  });

  it('shows generated credentials only on a terminal, never when output goes to a file', () => {
    expect(normalizeOptions({}, { root: '/r', env: {}, isTTY: true }).showCredentials).toBe(true);
    expect(normalizeOptions({}, { root: '/r', env: {}, isTTY: false }).showCredentials).toBe(false);
    expect(normalizeOptions({}, { root: '/r', env: {} }).showCredentials).toBe(false);
  });

  it('refuses a lifetime shorter than the stage can take, counting only the checks that run', () => {
    expect(stageBudgetS({ waitTimeoutS: 300, seed: true, smoke: true })).toBe(300 + 60 + 90 + 90);
    expect(() => normalizeOptions({ ttlHours: 0.1 }, { root: '/r', env: {} })).toThrow(/shorter than this stage can take \(540 s/);
    expect(normalizeOptions({ ttlHours: 0.03, waitTimeoutS: 45, seed: false, smoke: false }, { root: '/r', env: {} }).ttlHours).toBe(0.03);
  });

  it('never shows generated credentials in CI unless asked', () => {
    expect(normalizeOptions({}, { root: '/r', env: { CI: 'true' }, isTTY: true }).showCredentials).toBe(false);
    expect(normalizeOptions({ showCredentials: true }, { root: '/r', env: { CI: 'true' } }).showCredentials).toBe(true);
  });

  it('rejects bad environment names, lifetimes and ports', () => {
    expect(() => normalizeOptions({ env: 'Prod!' }, { root: '/r', env: {} })).toThrow(/not a valid name/);
    expect(() => normalizeOptions({ ttlHours: -1 }, { root: '/r', env: {} })).toThrow(/positive/);
    expect(() => normalizeOptions({ port: 70000 }, { root: '/r', env: {} })).toThrow(/1-65535/);
  });
});

describe('faultOverride', () => {
  it('points the migration at a database that does not exist, without writing the password', () => {
    const yaml = faultOverride('migrate');
    expect(yaml).toContain('  migrate:');
    expect(yaml).toContain('llmp_injected_failure');
    expect(yaml).toContain('${LLMP_POSTGRES_PASSWORD}');
  });

  it('breaks one service so that it never becomes healthy', () => {
    expect(faultOverride('health')).toMatch(/document-ingestion:\n {4}restart: "no"/);
  });

  it('needs no override for seed, smoke or no injection', () => {
    expect(faultOverride('seed')).toBeUndefined();
    expect(faultOverride(undefined)).toBeUndefined();
  });
});

describe('stage-up normalizeOptions with settings', () => {
  it('fails on a lifetime setting that is not a positive number, naming the file', () => {
    expect(() => normalizeOptions({}, { root: '/r', env: {}, settings: { LLMP_STAGE_TTL_HOURS: 'abc' } })).toThrow(/deploy\/env\/\.env\.staging[\s\S]*LLMP_STAGE_TTL_HOURS: must be a positive number of hours \(got "abc"\)/);
    expect(() => normalizeOptions({}, { root: '/r', env: {}, settings: { LLMP_STAGE_TTL_HOURS: '-1' } })).toThrow(/LLMP_STAGE_TTL_HOURS: must be a positive number of hours/);
  });

  it('lets the ttlHours option win over the setting', () => {
    expect(normalizeOptions({ ttlHours: 2 }, { root: '/r', env: {}, settings: { LLMP_STAGE_TTL_HOURS: '24' } }).ttlHours).toBe(2);
  });
});
