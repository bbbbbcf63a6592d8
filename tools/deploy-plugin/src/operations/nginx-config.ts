/**
 * A regex (nginx map syntax, "~^…") that matches every nginx $time_iso8601 value
 * (`YYYY-MM-DDTHH:MM:SS+00:00`) strictly later than `expiresAt` (pure).
 *
 * All values share one fixed-width format, so "later" is lexicographic: a later time agrees with
 * the expiry up to some digit and is greater there. One alternative per digit position.
 */
export function expiredPattern(expiresAt: string): string {
  const stamp = new Date(expiresAt).toISOString().slice(0, 19);
  const alternatives: string[] = [];
  for (let i = 0; i < stamp.length; i++) {
    const ch = stamp[i];
    if (ch >= '0' && ch < '9') {
      const next = String(Number(ch) + 1);
      alternatives.push(`${stamp.slice(0, i)}${next === '9' ? '9' : `[${next}-9]`}`);
    }
  }
  return `~^(?:${alternatives.join('|')})`;
}

export interface NginxConfInput {
  template: string;
  env: string;
  /** The serving release (the map's default); none before the first deploy. */
  active?: string;
  /** Releases reachable with X-LLMP-Release (candidate, previous). */
  reachable: readonly string[];
  expiresAt: string;
}

/** default.conf for the environment's nginx (pure). */
export function renderNginxConf({ template, env, active, reachable, expiresAt }: NginxConfInput): string {
  const releases = [...new Set([...(active ? [active] : []), ...reachable])];
  for (const r of releases) if (!/^[a-z0-9-]+$/.test(r)) throw new Error(`release id "${r}" is not a valid nginx token`);
  const map = [`    default "${active ?? ''}";`, ...releases.map((r) => `    "${r}" "${r}";`)].join('\n');
  const values: Record<string, string> = {
    ENV: env,
    RELEASE_MAP: map,
    EXPIRES_AT: expiresAt,
    EXPIRED_PATTERN: expiredPattern(expiresAt),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    if (!(key in values)) throw new Error(`unknown placeholder ${whole} in the nginx template`);
    return values[key];
  });
}
