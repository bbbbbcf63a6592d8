import { expiredPattern, renderNginxConf } from './nginx-config';

/** nginx's $time_iso8601 in the container (UTC). */
const nginxTime = (d: Date) => d.toISOString().slice(0, 19) + '+00:00';

function matches(pattern: string, value: string): boolean {
  return new RegExp(pattern.replace(/^~/, '')).test(value);
}

describe('expiredPattern', () => {
  const expiry = '2026-11-30T07:59:09Z';
  const pattern = expiredPattern(expiry);

  it('does not match the expiry itself or any earlier second', () => {
    expect(matches(pattern, nginxTime(new Date(expiry)))).toBe(false);
    expect(matches(pattern, nginxTime(new Date(Date.parse(expiry) - 1000)))).toBe(false);
    expect(matches(pattern, '2025-12-31T23:59:59+00:00')).toBe(false);
  });

  it('matches the next second and anything later', () => {
    expect(matches(pattern, nginxTime(new Date(Date.parse(expiry) + 1000)))).toBe(true);
    expect(matches(pattern, '2026-12-01T00:00:00+00:00')).toBe(true);
    expect(matches(pattern, '2031-01-01T00:00:00+00:00')).toBe(true);
  });

  it('agrees with a date comparison for many random times', () => {
    const base = Date.parse('2026-06-15T12:34:56Z');
    for (let i = 0; i < 2000; i++) {
      const e = new Date(base + Math.floor(Math.random() * 400 * 86400_000));
      const t = new Date(base + Math.floor(Math.random() * 400 * 86400_000));
      expect(matches(expiredPattern(e.toISOString()), nginxTime(t))).toBe(Math.floor(t.getTime() / 1000) > Math.floor(e.getTime() / 1000));
    }
  });
});

describe('renderNginxConf', () => {
  const template = 'map $h $r {\n{{RELEASE_MAP}}\n}\n# {{ENV}} until {{EXPIRES_AT}}\n"{{EXPIRED_PATTERN}}" 1;';

  it('routes by default to the serving release and lets candidates be reached by name', () => {
    const conf = renderNginxConf({ template, env: 'pr-1', active: 'r260101000000', reachable: ['r260101000000', 'r260102000000'], expiresAt: '2026-01-04T00:00:00Z' });
    expect(conf).toContain('    default "r260101000000";\n    "r260101000000" "r260101000000";\n    "r260102000000" "r260102000000";');
    expect(conf).toContain('# pr-1 until 2026-01-04T00:00:00Z');
  });

  it('has an empty default before the first release', () => {
    expect(renderNginxConf({ template, env: 'x', reachable: [], expiresAt: '2026-01-04T00:00:00Z' })).toContain('default "";');
  });

  it('rejects unknown placeholders and unsafe release ids', () => {
    expect(() => renderNginxConf({ template: '{{NOPE}}', env: 'x', reachable: [], expiresAt: '2026-01-04T00:00:00Z' })).toThrow(/unknown placeholder/);
    expect(() => renderNginxConf({ template, env: 'x', active: 'r1"; evil', reachable: [], expiresAt: '2026-01-04T00:00:00Z' })).toThrow(/not a valid nginx token/);
  });
});
