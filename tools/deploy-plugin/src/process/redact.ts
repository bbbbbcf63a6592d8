const MASK = '***';

const PATTERNS: Array<[RegExp, string]> = [
  // user:password@ in connection URLs
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s]+@/gi, `$1${MASK}@`],
  // Authorization: Basic … / Bearer …, and X-API-Key headers
  [/(\bauthorization\s*[:=]\s*"?(?:basic|bearer)\s+)[^\s"']+/gi, `$1${MASK}`],
  [/(\bx-api-key\s*[:=]\s*"?)[^\s"']+/gi, `$1${MASK}`],
  // NAME=value where NAME says it is secret (env files, argv, compose config output)
  [/(\b[A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY)[A-Z0-9_]*\s*[=:]\s*"?)[^\s"']+/g, `$1${MASK}`],
  // JSON fields
  [/("(?:password|token|secret|apiKey|privateKey)"\s*:\s*")[^"]*"/gi, `$1${MASK}"`],
  // htpasswd-style hashes
  [/\$(?:6|5|apr1|2[aby]|y)\$[^\s:"']+/g, MASK],
];

/**
 * Removes secrets from text bound for logs and artifacts: every known secret value,
 * plus anything that looks like a credential (URLs with passwords, auth headers, *_PASSWORD=…).
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const values = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length >= 4))].sort((a, b) => b.length - a.length);
  for (const value of values) out = out.split(value).join(MASK);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
