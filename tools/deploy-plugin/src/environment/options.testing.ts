import type { EnvOptionsSchema } from './options';

type Normalize = (options: EnvOptionsSchema, context: { root: string; env: NodeJS.ProcessEnv }) => { env: string; composeFile: string; envFile: string };

/** The environment-resolution behaviour every environment-level executor shares. */
export function itResolvesTheEnvironment(normalizeOptions: Normalize): void {
  it('works on the environment named by the option, else LLMP_STAGE_ENV, else staging', () => {
    expect(normalizeOptions({ env: 'pr-1' }, { root: '/r', env: { LLMP_STAGE_ENV: 'other' } }).env).toBe('pr-1');
    expect(normalizeOptions({}, { root: '/r', env: { LLMP_STAGE_ENV: 'other' } }).env).toBe('other');
    expect(normalizeOptions({}, { root: '/r', env: {} })).toMatchObject({ env: 'staging', composeFile: 'docker-compose.staging.yml', envFile: 'deploy/env/.env.staging' });
  });

  it('rejects an environment name that cannot name compose projects', () => {
    expect(() => normalizeOptions({ env: 'My Env' }, { root: '/r', env: {} })).toThrow(/not a valid name/);
  });
}
