import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeploymentLog } from './deployment-log';

describe('createDeploymentLog', () => {
  it('writes timestamped steps and commands without secrets or terminal codes', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'llmp-log-')), 'deployment.log');
    const log = createDeploymentLog({ path, secrets: ['hunter2-secret'], now: () => new Date('2026-01-01T00:00:00Z') });
    log.step('migrate', 'failed', 1200, 'password hunter2-secret rejected');
    log.addSecrets(['late-secret-value']);
    log.command('docker compose run migrate', { exitCode: 1, stdout: '\u001b[2Kmigrate-1 | late-secret-value\n', stderr: 'postgres://llmp:pw@postgres/llmp', durationMs: 5 });
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(
      [
        '2026-01-01T00:00:00.000Z [step] migrate: failed (1200 ms)',
        '2026-01-01T00:00:00.000Z     password *** rejected',
        '2026-01-01T00:00:00.000Z [cmd] docker compose run migrate → exit 1 in 5 ms',
        '2026-01-01T00:00:00.000Z     migrate-1 | ***',
        '2026-01-01T00:00:00.000Z     postgres://llmp:***@postgres/llmp',
        '',
      ].join('\n'),
    );
  });
});
