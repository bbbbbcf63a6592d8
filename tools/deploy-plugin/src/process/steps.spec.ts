import { chooseRenderer, createStepRunner, formatDuration } from './steps';

describe('chooseRenderer', () => {
  it('prints plain lines in CI or without a terminal, a task list otherwise', () => {
    expect(chooseRenderer({ CI: 'true' }, true)).toBe('lines');
    expect(chooseRenderer({}, false)).toBe('lines');
    expect(chooseRenderer({}, true)).toBe('tasks');
    expect(chooseRenderer({ CI: 'false' }, true)).toBe('tasks');
  });
});

describe('createStepRunner (lines)', () => {
  const clock = () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    return () => new Date((t += 500));
  };

  it('writes timestamped start, progress and outcome lines and records durations', async () => {
    const lines: string[] = [];
    const steps = createStepRunner({ renderer: 'lines', scope: 'stage pr-1', now: clock(), write: (l) => lines.push(l) });
    await expect(steps.run('migrate', async (ctx) => (ctx.progress('applied 3'), 42))).resolves.toBe(42);
    expect(lines).toEqual([
      '2026-01-01T00:00:01.000Z [stage pr-1] ▶ migrate',
      '2026-01-01T00:00:01.500Z [stage pr-1]   migrate: applied 3',
      '2026-01-01T00:00:02.500Z [stage pr-1] ✔ migrate (1.5s)',
    ]);
    expect(steps.records).toEqual([{ title: 'migrate', status: 'ok', startedAt: '2026-01-01T00:00:00.500Z', durationMs: 1500 }]);
  });

  it('records a failure with its message and rethrows', async () => {
    const lines: string[] = [];
    const steps = createStepRunner({ renderer: 'lines', scope: 's', now: clock(), write: (l) => lines.push(l) });
    await expect(steps.run('seed', async () => Promise.reject(new Error('login failed\nmore')))).rejects.toThrow('login failed');
    expect(steps.records[0]).toMatchObject({ title: 'seed', status: 'failed', error: 'login failed\nmore' });
    expect(lines.at(-1)).toMatch(/✖ seed \(.*\): login failed$/);
  });
});

describe('formatDuration', () => {
  it.each([[12, '12ms'], [1500, '1.5s'], [125_000, '2m5s']])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
