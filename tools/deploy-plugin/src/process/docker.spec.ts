import { buildImageArgs, dockerfileName, imageTag, ociLabels } from './docker';

describe('buildImageArgs', () => {
  it('builds a docker build argv with sorted build args and labels, secrets and the context last', () => {
    expect(
      buildImageArgs({
        dockerfile: 'deploy/docker/Dockerfile.api_gateway',
        context: '.',
        tags: ['llmp/api-gateway:abc', 'llmp/api-gateway:latest'],
        buildArgs: { REVISION: 'abc', BASE_IMAGE: 'llmp/base:1' },
        labels: { 'org.opencontainers.image.revision': 'abc' },
        secrets: { npm_ca: '/etc/ssl/ca.pem' },
      }),
    ).toEqual([
      'build', '--file', 'deploy/docker/Dockerfile.api_gateway',
      '--tag', 'llmp/api-gateway:abc', '--tag', 'llmp/api-gateway:latest',
      '--build-arg', 'BASE_IMAGE=llmp/base:1', '--build-arg', 'REVISION=abc',
      '--label', 'org.opencontainers.image.revision=abc',
      '--secret', 'id=npm_ca,src=/etc/ssl/ca.pem',
      '.',
    ]);
  });
});

describe('imageTag', () => {
  it('is the short git SHA on a clean tree', () => {
    expect(imageTag({ prefix: 'llmp', service: 'api-gateway', shortSha: '0123456789ab', dirty: false, contentHash: 'ffff' })).toBe('llmp/api-gateway:0123456789ab');
  });

  it('adds a dirty suffix with the content hash on a dirty tree', () => {
    expect(imageTag({ prefix: 'llmp', service: 'api-gateway', shortSha: '0123456789ab', dirty: true, contentHash: '1a2b3c4d5e6f' })).toBe('llmp/api-gateway:0123456789ab-dirty-1a2b3c4d');
  });
});

describe('dockerfileName and ociLabels', () => {
  it('maps dashes to underscores', () => {
    expect(dockerfileName('document-ingestion')).toBe('Dockerfile.document_ingestion');
  });

  it('names revision, created and source', () => {
    expect(ociLabels({ revision: 'abc', created: '2026-01-01T00:00:00Z', source: 'git@x:y.git', title: 'llmp/x' })).toEqual({
      'org.opencontainers.image.title': 'llmp/x',
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
      'org.opencontainers.image.source': 'git@x:y.git',
    });
  });
});
