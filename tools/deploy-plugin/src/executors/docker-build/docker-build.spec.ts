import { normalizeOptions } from './docker-build';

describe('docker-build normalizeOptions', () => {
  it('derives the service, Dockerfile and bundle from the project folder', () => {
    expect(normalizeOptions({}, { root: '/repo', projectRoot: 'apps/document-ingestion', env: {} })).toEqual({
      root: '/repo',
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
    });
  });

  it('takes the CA bundle for npm from NODE_EXTRA_CA_CERTS and keeps explicit options', () => {
    const o = normalizeOptions({ service: 'api-gateway', extraTags: [], force: true }, { root: '/r', projectRoot: 'apps/x', env: { NODE_EXTRA_CA_CERTS: '/ca.pem' } });
    expect(o).toMatchObject({ service: 'api-gateway', extraTags: [], force: true, caBundle: '/ca.pem' });
  });

  it('does not mutate the options it is given', () => {
    const options = Object.freeze({ service: 'api-gateway' });
    expect(() => normalizeOptions(options, { root: '/r', projectRoot: 'apps/x', env: {} })).not.toThrow();
  });

  it('rejects a service name that cannot be an image name', () => {
    expect(() => normalizeOptions({ service: 'Api Gateway' }, { root: '/r', projectRoot: 'apps/x', env: {} })).toThrow(/not a valid image name/);
  });
});
