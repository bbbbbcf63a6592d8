import { resolveCredentials, type Credentials } from './credentials';
import { assertEnvName, newReleaseId, tagVariable } from './names';
import { envPaths } from './paths';
import { expiryFrom } from './state';

describe('assertEnvName', () => {
  it.each(['staging', 'pr-42', 'a', 'e2e-1'])('accepts %s', (name) => expect(assertEnvName(name)).toBe(name));

  it.each(['', 'Staging', '-x', 'x-', 'a_b', 'x'.repeat(31), 'pr-r260101000000'])('rejects %j', (name) => {
    expect(() => assertEnvName(name)).toThrow(/not a valid name/);
  });
});

describe('names', () => {
  it('derives release ids from UTC time', () => {
    expect(newReleaseId(new Date('2026-01-02T03:04:05Z'))).toBe('r260102030405');
  });

  it('derives compose tag variables from service names', () => {
    expect(tagVariable('document-ingestion')).toBe('LLMP_DOCUMENT_INGESTION_TAG');
  });

  it('keeps state under .llmp and artifacts under dist', () => {
    const p = envPaths('/repo', 'pr-1');
    expect(p.credentialsFile).toBe('/repo/.llmp/stage/pr-1/credentials.json');
    expect(p.logFile).toBe('/repo/dist/deploy/pr-1/deployment.log');
    expect(p.summaryMd).toBe('/repo/dist/deploy/pr-1/summary.md');
  });

  it('computes the expiry in whole seconds', () => {
    expect(expiryFrom(new Date('2026-01-01T00:00:00.123Z'), 72)).toBe('2026-01-04T00:00:00Z');
  });
});

describe('resolveCredentials', () => {
  let n = 0;
  const generate = () => `generated-secret-number-${++n}-xxxxxxxxxxxxxx`;
  const stored: Credentials = {
    basicAuth: { user: 'llmp', password: 'stored-basic' },
    users: { admin: 'stored-admin', manager: 'stored-manager', user: 'stored-user' },
    postgresPassword: 'stored-pg',
    internalSecret: 'stored-internal-secret-0123456789abcdef',
  };

  it('generates everything that is neither configured nor stored', () => {
    const { credentials, generated } = resolveCredentials({ settings: {}, generate });
    expect(generated).toEqual(['basic-auth password', 'admin password', 'manager password', 'user password', 'postgres password', 'internal secret']);
    expect(credentials.basicAuth.user).toBe('llmp');
  });

  it('uses configured basic-auth credentials such as the QA pair', () => {
    const { credentials, generated } = resolveCredentials({ settings: { LLMP_STAGE_BASIC_AUTH_USER: 'qa', LLMP_STAGE_BASIC_AUTH_PASSWORD: 'qa123' }, existing: stored, generate });
    expect(credentials.basicAuth).toEqual({ user: 'qa', password: 'qa123' });
    expect(generated).toEqual([]);
  });

  it('keeps the stored postgres and admin passwords even when configuration changes them', () => {
    const { credentials } = resolveCredentials({ settings: { LLMP_POSTGRES_PASSWORD: 'new-pg', LLMP_SEED_ADMIN_PASSWORD: 'new-admin', LLMP_SEED_USER_PASSWORD: 'new-user' }, existing: stored, generate });
    expect(credentials.postgresPassword).toBe('stored-pg');
    expect(credentials.users.admin).toBe('stored-admin');
    expect(credentials.users.user).toBe('new-user');
  });

  it('refuses an internal secret shorter than 32 characters', () => {
    expect(() => resolveCredentials({ settings: { LLMP_INTERNAL_SECRET: 'short' }, generate })).toThrow(/at least 32/);
  });
});
