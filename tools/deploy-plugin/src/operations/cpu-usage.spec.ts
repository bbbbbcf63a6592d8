import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerCpuNanos, coreShare, parseCpuNanos } from './cpu-usage';

describe('container CPU accounting', () => {
  it('reads cgroup v1 nanoseconds and cgroup v2 microseconds alike', () => {
    expect(parseCpuNanos('/x/cpuacct.usage', '1500000000\n')).toBe(1.5e9);
    expect(parseCpuNanos('/x/cpu.stat', 'usage_usec 1500000\nuser_usec 1000000\n')).toBe(1.5e9);
  });

  it('finds the container under either cgroup layout', () => {
    const base = mkdtempSync(join(tmpdir(), 'llmp-cgroup-'));
    try {
      mkdirSync(join(base, 'system.slice/docker-abc.scope'), { recursive: true });
      writeFileSync(join(base, 'system.slice/docker-abc.scope/cpu.stat'), 'usage_usec 42\n');
      expect(containerCpuNanos('abc', base)).toBe(42_000);
      expect(() => containerCpuNanos('missing', base)).toThrow(/no cgroup CPU accounting/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('expresses CPU time over a window as a share of one core', () => {
    expect(coreShare(0, 3e9, 60_000)).toBeCloseTo(0.05);
  });
});
