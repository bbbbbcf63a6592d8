import { groupByEnvironment, parseResourceLines } from '../environment/resources';
import { parseContainerStatus } from './health';
import { composeVars } from './stack';

const credentials = {
  basicAuth: { user: 'llmp', password: 'b' },
  users: { admin: 'a', manager: 'm', user: 'u' },
  postgresPassword: 'pg',
  internalSecret: 'i'.repeat(32),
};

describe('composeVars', () => {
  it('splits image references into per-service tags', () => {
    const vars = composeVars({
      env: 'pr-1', release: 'r260101000000', expiresAt: '2026-01-04T00:00:00Z', port: 18080, credentials,
      images: { 'api-gateway': 'llmp/api-gateway:abc', 'document-ingestion': 'llmp/document-ingestion:abc-dirty-12345678' },
      postgresImage: 'llmp/postgres:17-pgvector', nginxImage: 'llmp/nginx:1-trixie',
    });
    expect(vars).toMatchObject({
      LLMP_ENV: 'pr-1',
      LLMP_STAGE_NETWORK: 'llmp-stage-pr-1',
      LLMP_STAGE_PORT: '18080',
      LLMP_API_GATEWAY_TAG: 'abc',
      LLMP_DOCUMENT_INGESTION_TAG: 'abc-dirty-12345678',
      LLMP_BOOTSTRAP_ADMIN_PASSWORD: 'a',
    });
  });

  it('keeps the digest of an image pulled from a registry, so that compose runs exactly that image', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const vars = composeVars({
      env: 'pr-1', release: 'r1', expiresAt: '', port: 1, credentials, imagePrefix: '127.0.0.1:5000/llmp',
      images: { 'api-gateway': `127.0.0.1:5000/llmp/api-gateway:abc@${digest}` }, postgresImage: '', nginxImage: '',
    });
    expect(vars).toMatchObject({ LLMP_IMAGE_PREFIX: '127.0.0.1:5000/llmp', LLMP_API_GATEWAY_TAG: `abc@${digest}` });
  });

  it('refuses an image that does not follow <prefix>/<service>', () => {
    expect(() =>
      composeVars({ env: 'x', release: 'r', expiresAt: '', port: 1, credentials, images: { 'api-gateway': 'other/gw:1' }, postgresImage: '', nginxImage: '' }),
    ).toThrow(/must be named llmp\/api-gateway/);
  });
});

describe('resources by label', () => {
  const lines = [
    'c1\tllmp-stage-a-nginx-1\tdev.llmp.env=a,dev.llmp.release=edge,dev.llmp.expires-at=2026-01-01T00:00:00Z,com.docker.compose.project=llmp-stage-a',
    'c2\tllmp-stage-a-r1-api-gateway-1\tdev.llmp.env=a,dev.llmp.release=r1,dev.llmp.expires-at=2026-01-03T00:00:00Z',
    'c3\tllmp-stage-b-nginx-1\tdev.llmp.env=b,dev.llmp.expires-at=',
  ].join('\n');

  it('parses docker ls lines', () => {
    expect(parseResourceLines('container', lines)[1]).toEqual({ kind: 'container', id: 'c2', name: 'llmp-stage-a-r1-api-gateway-1', env: 'a', release: 'r1', project: '', expiresAt: '2026-01-03T00:00:00Z' });
  });

  it('takes the latest expiry stamp of an environment, and none when unstamped', () => {
    const envs = groupByEnvironment(parseResourceLines('container', lines));
    expect(envs.map((e) => [e.env, e.expiresAt, e.resources.length])).toEqual([
      ['a', '2026-01-03T00:00:00Z', 2],
      ['b', undefined, 1],
    ]);
  });
});

describe('parseContainerStatus', () => {
  it('counts running containers as up unless their probe failed, and exited ones as down', () => {
    const rows = parseContainerStatus(
      'nginx\trunning\tUp 3 minutes (healthy)\napi-gateway\trunning\tUp 2 seconds (health: starting)\nmigrate\texited\tExited (1)\nadmin-dashboard\trunning\tUp 5 minutes (unhealthy)\nmodel-training\trestarting\tRestarting (1) 2 seconds ago',
      'p',
    );
    expect(rows.map((r) => [r.component, r.status])).toEqual([
      ['container p/admin-dashboard', 'down'],
      ['container p/api-gateway', 'up'],
      ['container p/migrate', 'down'],
      ['container p/model-training', 'down'],
      ['container p/nginx', 'up'],
    ]);
  });
});
