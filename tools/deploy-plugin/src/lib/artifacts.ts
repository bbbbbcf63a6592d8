import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import type { EnvPaths } from './environment';
import { redact } from './redact';
import { renderSummaryMarkdown, type DeploySummary } from './summary';

/** summary.json + summary.md in dist/deploy/<env>/ (redacted), and the GitHub Actions step summary when there is one. */
export function writeSummary(paths: EnvPaths, summary: DeploySummary, { secrets, env = process.env }: { secrets: readonly string[]; env?: NodeJS.ProcessEnv }): void {
  mkdirSync(paths.artifactsDir, { recursive: true });
  const json = redact(JSON.stringify(summary, null, 2), secrets);
  const md = redact(renderSummaryMarkdown(summary), secrets);
  writeFileSync(paths.summaryJson, json + '\n');
  writeFileSync(paths.summaryMd, md);
  if (env['GITHUB_STEP_SUMMARY']) appendFileSync(env['GITHUB_STEP_SUMMARY'], md + '\n');
}

export function credentialsHint(paths: EnvPaths, root: string, user: string): string {
  const rel = paths.credentialsFile.startsWith(root) ? paths.credentialsFile.slice(root.length + 1) : paths.credentialsFile;
  return `basic-auth user "${user}"; all passwords (basic auth, admin, manager, user) are in ${rel} (mode 600, on the machine that staged) or: npx nx run deploy:status --showCredentials`;
}
