import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeDisplay, composeOptions, createCompose, parsePsJson, upCommandOptions } from './compose';
import { formatCommand } from './shell';

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
  it('shows the command line that runs', () => {
    expect(composeDisplay(target, 'up', ['--detach', ['--wait-timeout', '60']], ['postgres'])).toBe(
      'docker compose --project-name llmp-stage-pr-1 --profile edge -f docker-compose.staging.yml up --detach --wait-timeout 60 postgres',
    );
  });
});

describe('createCompose', () => {
  let dir: string;

  beforeAll(() => {
    // A `docker` that prints the argv it was given, one argument per line, found first on PATH.
    dir = mkdtempSync(join(tmpdir(), 'llmp-compose-'));
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs, through the docker-compose package, exactly the command it records', async () => {
    const recorded: string[] = [];
    const compose = createCompose({ ...target, cwd: dir, env: { PATH: `${dir}:${process.env['PATH']}` } }, { log: { command: (display) => recorded.push(display) } });
    const calls = [
      () => compose.up({ services: ['postgres', 'nginx'], waitTimeoutS: 60, noDeps: true }),
      () => compose.run('migrate', [], { env: { LLMP_X: 'a b' } }),
      () => compose.down({ volumes: true, timeoutS: 5 }),
      () => compose.logs(['api-gateway'], { tail: 10 }),
    ];
    for (const [i, call] of calls.entries()) {
      const result = await call();
      expect(recorded[i]).toBe(formatCommand('docker', result.stdout.replace(/\n$/, '').split('\n')));
    }
    expect(recorded[1]).toContain("run --rm --no-deps -T -e 'LLMP_X=a b' migrate");
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
