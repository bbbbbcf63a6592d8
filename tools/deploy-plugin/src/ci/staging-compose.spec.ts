import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Service {
  profiles?: string[];
  init?: boolean;
  image?: string;
  volumes?: string[];
  healthcheck?: { test: string[]; interval?: string; start_period?: string };
}

const root = join(__dirname, '../../../..');
// merge keys (<<: *service) are what compose itself resolves
const compose = parse(readFileSync(join(root, 'docker-compose.staging.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, { name?: string; external?: boolean }> };
const ours = Object.entries(compose.services).filter(([, s]) => !s.profiles?.includes('milvus'));
const seconds = (d = '0s') => Number(d.replace(/s$/, ''));

describe('docker-compose.staging.yml', () => {
  it.each(ours)('runs %s under an init that reaps orphaned probe processes', (_name, service) => {
    expect(service.init).toBe(true);
  });

  it.each(ours.filter(([, s]) => s.healthcheck))('probes %s without starting a Node.js process, no more often than every 5 seconds', (_name, service) => {
    const test = service.healthcheck!.test.join(' ');
    expect(test).not.toMatch(/\bnode\b|CMD-SHELL|curl/);
    expect(seconds(service.healthcheck!.interval)).toBeGreaterThanOrEqual(5);
    expect(seconds(service.healthcheck!.start_period)).toBeGreaterThanOrEqual(30);
  });

  it('mounts nginx config from a volume of the environment, so that no checkout has to keep it', () => {
    expect(compose.services['nginx'].volumes).toEqual(['nginx-conf:/etc/nginx/conf.d:ro']);
    expect(compose.volumes['nginx-conf']).toEqual({ name: 'llmp-stage-${LLMP_ENV:-manual}-nginx', external: true });
  });
});

describe('service Dockerfiles', () => {
  const dockerfiles = readdirSync(join(root, 'deploy/docker')).filter((f) => /^Dockerfile\.[a-z_]+$/.test(f) && f !== 'Dockerfile.base');

  it.each(dockerfiles)('%s checks health without starting a Node.js process', (file) => {
    const text = readFileSync(join(root, 'deploy/docker', file), 'utf8');
    const healthcheck = text.slice(text.indexOf('HEALTHCHECK'), text.indexOf('STOPSIGNAL'));
    expect(healthcheck).toMatch(/\/dev\/tcp\/127\.0\.0\.1/);
    expect(healthcheck).not.toMatch(/"node"/);
  });
});
