import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodes } from './index';

describe('createNodes', () => {
  it('adds an uncached docker-build target, after build, to every app that has a Dockerfile', async () => {
    const root = mkdtempSync(join(tmpdir(), 'llmp-nodes-'));
    mkdirSync(join(root, 'deploy/docker'), { recursive: true });
    writeFileSync(join(root, 'deploy/docker/Dockerfile.api_gateway'), 'FROM x');
    const [, create] = createNodes;
    const result = await create(['apps/api-gateway/package.json', 'apps/platform/package.json'], undefined, { workspaceRoot: root, nxJsonConfiguration: {} });
    expect(result).toEqual([
      [
        'apps/api-gateway/package.json',
        {
          projects: {
            'apps/api-gateway': {
              targets: {
                'docker-build': expect.objectContaining({ executor: '@llmp/deploy-plugin:docker-build', dependsOn: ['build'], cache: false, options: { service: 'api-gateway' } }),
              },
            },
          },
        },
      ],
    ]);
  });
});
