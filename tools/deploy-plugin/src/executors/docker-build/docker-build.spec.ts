import { baseNeedsBuild, imageVersion, normalizeOptions } from './docker-build';

describe('docker-build normalizeOptions', () => {
  it('derives the service, Dockerfile and bundle from the project folder', () => {
    expect(normalizeOptions({}, { root: '/repo', projectRoot: 'apps/document-ingestion', env: {} })).toEqual({
      root: '/repo',
      runId: undefined,
      service: 'document-ingestion',
      imagePrefix: 'llmp',
      dockerfile: 'deploy/docker/Dockerfile.document_ingestion',
      baseDockerfile: 'deploy/docker/Dockerfile.base',
      bundleDir: 'dist/apps/document-ingestion',
      nodeImage: undefined,
      pullTimeoutMs: 15000,
      buildLocalBaseImages: true,
      extraTags: ['latest'],
      force: false,
      source: undefined,
      caBundle: undefined,
      registry: undefined,
    });
  });

  it('takes the CA bundle for npm from NODE_EXTRA_CA_CERTS and keeps explicit options', () => {
    const o = normalizeOptions({ service: 'api-gateway', extraTags: [], force: true }, { root: '/r', projectRoot: 'apps/x', env: { NODE_EXTRA_CA_CERTS: '/ca.pem' } });
    expect(o).toMatchObject({ service: 'api-gateway', extraTags: [], force: true, caBundle: '/ca.pem' });
  });

  it('pushes to the registry of the option, else of LLMP_REGISTRY', () => {
    expect(normalizeOptions({}, { root: '/r', projectRoot: 'apps/x', env: { LLMP_REGISTRY: '127.0.0.1:5000' } }).registry).toBe('127.0.0.1:5000');
    expect(normalizeOptions({ registry: 'reg.internal/llmp' }, { root: '/r', projectRoot: 'apps/x', env: { LLMP_REGISTRY: '127.0.0.1:5000' } }).registry).toBe('reg.internal/llmp');
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({ service: 'api-gateway' });
    expect(() => normalizeOptions(options, { root: '/r', projectRoot: 'apps/x', env: {} })).not.toThrow();
  });

  it('rejects a service name that cannot be an image name', () => {
    expect(() => normalizeOptions({ service: 'Api Gateway' }, { root: '/r', projectRoot: 'apps/x', env: {} })).toThrow(/not a valid image name/);
  });
});

describe('the shared runtime base under --force', () => {
  it('is rebuilt once per nx run, not once per service', () => {
    const o = normalizeOptions({ force: true }, { root: '/r', projectRoot: 'apps/x', env: { NX_INVOCATION_ROOT_PID: '4242' } });
    expect(o.runId).toBe('nx-4242');
    expect(baseNeedsBuild({ exists: true, force: true, runId: o.runId, builtByRun: undefined })).toBe(true);
    expect(baseNeedsBuild({ exists: true, force: true, runId: o.runId, builtByRun: 'nx-4242' })).toBe(false);
    expect(baseNeedsBuild({ exists: true, force: true, runId: o.runId, builtByRun: 'nx-1' })).toBe(true);
  });

  it('is built when missing and reused otherwise', () => {
    expect(baseNeedsBuild({ exists: false, force: false })).toBe(true);
    expect(baseNeedsBuild({ exists: true, force: false })).toBe(false);
  });
});

describe('imageVersion', () => {
  it('is the package version with the git revision, never a placeholder', () => {
    expect(imageVersion({ packageVersion: '0.1.0', shortSha: '6f9cc32abcde', dirty: false })).toBe('0.1.0+6f9cc32abcde');
    expect(imageVersion({ packageVersion: '0.1.0', shortSha: '6f9cc32abcde', dirty: true })).toBe('0.1.0+6f9cc32abcde.dirty');
  });
});
