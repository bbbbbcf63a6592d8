import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import type { EnvPaths } from '../environment/paths';
import { stripAnsi } from '../process/deployment-log';
import { redact } from '../process/redact';
import { renderSummaryMarkdown, type DeploySummary } from './summary';

/**
 * summary.json + summary.md in dist/deploy/<env>/ (redacted, without terminal escape codes, which
 * error texts of docker and nx carry), and the GitHub Actions step summary when there is one.
 */
export function writeSummary(paths: EnvPaths, summary: DeploySummary, { secrets, env = process.env }: { secrets: readonly string[]; env?: NodeJS.ProcessEnv }): void {
  mkdirSync(paths.artifactsDir, { recursive: true });
  const clean = JSON.parse(JSON.stringify(summary, (_key, value: unknown) => (typeof value === 'string' ? stripAnsi(value) : value))) as DeploySummary;
  const json = redact(JSON.stringify(clean, null, 2), secrets);
  const md = redact(renderSummaryMarkdown(clean), secrets);
  writeFileSync(paths.summaryJson, json + '\n');
  writeFileSync(paths.summaryMd, md);
  if (env['GITHUB_STEP_SUMMARY']) appendFileSync(env['GITHUB_STEP_SUMMARY'], md + '\n');
}

export function credentialsHint(paths: EnvPaths, root: string, user: string): string {
  const rel = paths.credentialsFile.startsWith(root) ? paths.credentialsFile.slice(root.length + 1) : paths.credentialsFile;
  return `basic-auth user "${user}"; all passwords (basic auth, admin, manager, user) are in ${rel} (mode 600, on the machine that staged) or: npx nx run deploy:status --showCredentials`;
}
