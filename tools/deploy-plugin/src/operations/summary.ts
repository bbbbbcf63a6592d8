import { formatDuration, type StepRecord } from '../process/steps';
import type { HealthRow } from './health';
import type { SmokeCheck } from './smoke';

export interface DeploySummary {
  env: string;
  outcome: 'deployed' | 'failed' | 'rolled-back';
  url: string;
  expiresAt: string;
  release?: string;
  serving?: string;
  previous?: string;
  revision?: string;
  images: Record<string, string>;
  health: HealthRow[];
  smoke: SmokeCheck[];
  seed?: { created: string[]; unchanged: string[] };
  steps: StepRecord[];
  failedStep?: string;
  error?: string;
  credentials: string;
  startedAt: string;
  finishedAt: string;
  log: string;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** summary.md, also used as the GitHub Actions step summary (pure). */
export function renderSummaryMarkdown(s: DeploySummary): string {
  const icon = s.outcome === 'failed' ? '❌' : '✅';
  const lines = [
    `## ${icon} llmp staging \`${s.env}\`: ${s.outcome}`,
    '',
    `| | |`,
    `|---|---|`,
    `| URL | ${s.url} |`,
    `| Expires | ${s.expiresAt} |`,
    `| Serving release | ${s.serving ?? '—'} |`,
    ...(s.release && s.release !== s.serving ? [`| Attempted release | ${s.release} |`] : []),
    ...(s.previous ? [`| Previous release (rollback target) | ${s.previous} |`] : []),
    ...(s.revision ? [`| Git revision | \`${s.revision}\` |`] : []),
    `| Credentials | ${esc(s.credentials)} |`,
    `| Deployment log | \`${s.log}\` |`,
    '',
  ];
  if (s.error) lines.push(`**Failed step:** \`${s.failedStep ?? '?'}\``, '', '```', s.error.slice(0, 4000), '```', '');
  if (Object.keys(s.images).length) {
    lines.push('### Images', '', '| Service | Image |', '|---|---|', ...Object.entries(s.images).map(([k, v]) => `| ${k} | \`${v}\` |`), '');
  }
  if (s.health.length) {
    lines.push('### Health', '', '| Component | Status | Latency | Detail |', '|---|---|---|---|');
    for (const r of s.health) lines.push(`| ${r.component} | ${r.status === 'up' ? '🟢 up' : '🔴 down'} | ${r.latencyMs === undefined ? '' : `${r.latencyMs} ms`} | ${esc(r.detail ?? '')} |`);
    lines.push('');
  }
  if (s.smoke.length) {
    lines.push('### Smoke', '', '| Check | Result |', '|---|---|', ...s.smoke.map((c) => `| ${esc(c.name)} | ${c.ok ? '✅' : `❌ ${esc(c.detail ?? String(c.status))}`} |`), '');
  }
  if (s.seed) lines.push(`Seed: created ${s.seed.created.join(', ') || 'nothing'}; unchanged ${s.seed.unchanged.join(', ') || 'nothing'}.`, '');
  lines.push('### Steps', '', '| Step | Outcome | Duration |', '|---|---|---|', ...s.steps.map((st) => `| ${st.title} | ${st.status} | ${formatDuration(st.durationMs)} |`), '');
  return lines.join('\n');
}

/** A plain-text table for the terminal (pure). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderHealthTable(rows: readonly HealthRow[]): string {
  return renderTable(['component', 'status', 'latency', 'detail'], rows.map((r) => [r.component, r.status, r.latencyMs === undefined ? '' : `${r.latencyMs} ms`, r.detail ?? '']));
}
