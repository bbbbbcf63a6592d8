import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, mergeSettings, parseStageSettings, privateKeyVariable, secretSettingValues } from './settings';

// A file encrypted with `dotenvx encrypt -f .env.staging -k 'LLMP_STAGE_BASIC_AUTH_*'` and its key (test-only keypair).
const ENCRYPTED = `DOTENV_PUBLIC_KEY_STAGING="02bfd65453d405365b250429d5f368e08325d26bc86c255934af24f42556196ae1"
LLMP_STAGE_TTL_HOURS=72
LLMP_STAGE_BASIC_AUTH_USER=encrypted:BO1K/NII6/4Jqju+flbQyNOqWlhFlL5heAhdN02px/Amel/oY7bT/CV0HFmpWJwPLWg9IDJV9Dsbg5zAc6NGAOYL8xTs0dQc50S84H7QpuXbAjeZMrKvKB6kIiFs40Bj+u3E
LLMP_STAGE_BASIC_AUTH_PASSWORD=encrypted:BDZpYH9cJwbtvCx2HbCarEW+knDNmZl4CjKbVmzkWvMs6P4zUnngxdwLMz7yJDBxBD+sE8ogzd0HoiFqmKqxaBRhACM7YB6e12VApWtGp0/CD0g/YXehbXXP0WlWjkDRxgmwJTT7
`;
const PRIVATE_KEY = '8895d9e7b3ffe2046b61c5b540a505a8f8c47b461d3ba7cfd5bd4a793a0b2295';

function envFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'llmp-settings-'));
  const path = join(dir, '.env.staging');
  writeFileSync(path, ENCRYPTED);
  return path;
}

describe('privateKeyVariable', () => {
  it('follows dotenvx naming', () => {
    expect(privateKeyVariable('deploy/env/.env.staging')).toBe('DOTENV_PRIVATE_KEY_STAGING');
    expect(privateKeyVariable('deploy/env/.env.pr-preview')).toBe('DOTENV_PRIVATE_KEY_PR_PREVIEW');
  });
});

describe('loadSettings', () => {
  it('decrypts encrypted values with the key from the environment and marks them secret', () => {
    const s = loadSettings(envFile(), { DOTENV_PRIVATE_KEY_STAGING: PRIVATE_KEY });
    expect(s.values).toEqual({ LLMP_STAGE_TTL_HOURS: '72', LLMP_STAGE_BASIC_AUTH_USER: 'qa', LLMP_STAGE_BASIC_AUTH_PASSWORD: 'qa123' });
    expect(s.secretValues).toEqual(['qa', 'qa123']);
    expect(s.undecrypted).toEqual([]);
  });

  it('drops encrypted values it cannot decrypt, and says which', () => {
    const s = loadSettings(envFile(), {});
    expect(s.values).toEqual({ LLMP_STAGE_TTL_HOURS: '72' });
    expect(s.undecrypted).toEqual(['LLMP_STAGE_BASIC_AUTH_USER', 'LLMP_STAGE_BASIC_AUTH_PASSWORD']);
  });

  it('treats a missing file as no settings', () => {
    expect(loadSettings('/nonexistent/.env.staging', {}).values).toEqual({});
  });
});

describe('mergeSettings', () => {
  it('lets non-empty process variables override the file for the listed keys only', () => {
    expect(mergeSettings({ A: '1', B: '2' }, { A: 'x', B: '', C: 'y' }, ['A', 'B', 'C'])).toEqual({ A: 'x', B: '2', C: 'y' });
  });
});

describe('parseStageSettings', () => {
  it('gives the environment 72 hours unless LLMP_STAGE_TTL_HOURS says otherwise', () => {
    expect(parseStageSettings({}).LLMP_STAGE_TTL_HOURS).toBe(72);
    expect(parseStageSettings({ LLMP_STAGE_TTL_HOURS: '' }).LLMP_STAGE_TTL_HOURS).toBe(72);
    expect(parseStageSettings({ LLMP_STAGE_TTL_HOURS: '0.5' }).LLMP_STAGE_TTL_HOURS).toBe(0.5);
  });

  it.each(['abc', '0', '-3', 'Infinity'])('refuses LLMP_STAGE_TTL_HOURS=%s instead of falling back to 72 hours', (value) => {
    expect(() => parseStageSettings({ LLMP_STAGE_TTL_HOURS: value }, 'deploy/env/.env.staging')).toThrow(/deploy\/env\/\.env\.staging are invalid[\s\S]*LLMP_STAGE_TTL_HOURS: must be a positive number of hours/);
  });

  it('names every bad setting at once', () => {
    expect(() => parseStageSettings({ LLMP_STAGE_TTL_HOURS: 'three days', LLMP_LOG_LEVEL: 'loud' })).toThrow(/LLMP_STAGE_TTL_HOURS: must be a positive number of hours \(got "three days"\)\n {2}- LLMP_LOG_LEVEL:/);
  });

  it('keeps the secrets it reads apart, and treats empty values as unset', () => {
    const settings = parseStageSettings({ LLMP_STAGE_BASIC_AUTH_USER: 'qa', LLMP_STAGE_BASIC_AUTH_PASSWORD: 'qa123', LLMP_POSTGRES_PASSWORD: '', LLMP_LOG_LEVEL: 'debug', UNRELATED: 'x' });
    expect(settings).toMatchObject({ LLMP_STAGE_BASIC_AUTH_USER: 'qa', LLMP_STAGE_BASIC_AUTH_PASSWORD: 'qa123', LLMP_POSTGRES_PASSWORD: undefined, LLMP_LOG_LEVEL: 'debug' });
    expect(settings).not.toHaveProperty('UNRELATED');
    expect(secretSettingValues(settings)).toEqual(['qa123']);
  });
});
