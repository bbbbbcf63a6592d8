import { composeDisplay, composeOptions, parsePsJson, upCommandOptions } from './compose';

const target = { cwd: '/repo', files: ['docker-compose.staging.yml'], project: 'llmp-stage-pr-1', profiles: ['edge'], env: { LLMP_ENV: 'pr-1' } };

describe('composeOptions', () => {
  it('passes the project, profiles, files and merged environment to the docker-compose package', () => {
    const o = composeOptions(target, ['--detach'], { PATH: '/bin', LLMP_ENV: 'other' });
    expect(o).toEqual({
      cwd: '/repo',
      config: ['docker-compose.staging.yml'],
      composeOptions: [['--project-name', 'llmp-stage-pr-1'], ['--profile', 'edge']],
      commandOptions: ['--detach'],
      env: { PATH: '/bin', LLMP_ENV: 'pr-1' },
      log: false,
    });
  });
});

describe('upCommandOptions', () => {
  it('waits with a timeout by default', () => {
    expect(upCommandOptions({ waitTimeoutS: 120 })).toEqual(['--detach', '--wait', ['--wait-timeout', '120'], '--remove-orphans']);
  });

  it('can skip dependencies and waiting', () => {
    expect(upCommandOptions({ wait: false, noDeps: true })).toEqual(['--detach', '--no-deps', '--remove-orphans']);
  });
});

describe('composeDisplay', () => {
  it('shows the equivalent command line', () => {
    expect(composeDisplay(target, 'up', ['--detach', ['--wait-timeout', '60']], ['postgres'])).toBe(
      'docker compose -p llmp-stage-pr-1 -f docker-compose.staging.yml --profile edge up --detach --wait-timeout 60 postgres',
    );
  });
});

describe('parsePsJson', () => {
  it('reads one JSON object per line (Compose 2.21+)', () => {
    expect(parsePsJson('{"Name":"a-1","Service":"a","State":"running","Health":"healthy"}\n{"Name":"b-1","Service":"b","State":"exited","Health":""}\n')).toEqual([
      { name: 'a-1', service: 'a', state: 'running', health: 'healthy' },
      { name: 'b-1', service: 'b', state: 'exited', health: '' },
    ]);
  });

  it('reads a JSON array (older Compose) and empty output', () => {
    expect(parsePsJson('[{"Name":"a-1","Service":"a","State":"running","Health":""}]')).toHaveLength(1);
    expect(parsePsJson('')).toEqual([]);
  });
});
