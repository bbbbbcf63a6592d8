import { renderSummaryMarkdown, renderTable, type DeploySummary } from './summary';

const summary: DeploySummary = {
  env: 'pr-1',
  outcome: 'failed',
  url: 'http://127.0.0.1:18080',
  expiresAt: '2026-01-04T00:00:00Z',
  release: 'r2',
  serving: 'r1',
  images: { 'api-gateway': 'llmp/api-gateway:abc' },
  health: [{ component: 'database', status: 'up', latencyMs: 2 }],
  smoke: [],
  steps: [{ title: 'migrate', status: 'failed', startedAt: '2026-01-01T00:00:00Z', durationMs: 1200, error: 'boom' }],
  failedStep: 'migrate',
  error: 'relation "x" does not exist',
  credentials: 'see .llmp/stage/pr-1/credentials.json',
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: '2026-01-01T00:00:02Z',
  log: 'dist/deploy/pr-1/deployment.log',
};

describe('renderSummaryMarkdown', () => {
  const md = renderSummaryMarkdown(summary);

  it('names the outcome, the URL, the serving and attempted releases', () => {
    expect(md).toContain('## ❌ llmp staging `pr-1`: failed');
    expect(md).toContain('| URL | http://127.0.0.1:18080 |');
    expect(md).toContain('| Serving release | r1 |');
    expect(md).toContain('| Attempted release | r2 |');
  });

  it('shows the failing step and its error, images, health and step durations', () => {
    expect(md).toContain('**Failed step:** `migrate`');
    expect(md).toContain('relation "x" does not exist');
    expect(md).toContain('| api-gateway | `llmp/api-gateway:abc` |');
    expect(md).toContain('| database | 🟢 up | 2 ms |  |');
    expect(md).toContain('| migrate | failed | 1.2s |');
  });
});

describe('renderTable', () => {
  it('pads columns', () => {
    expect(renderTable(['a', 'bb'], [['xxx', 'y']])).toBe('a    bb\n---  --\nxxx  y');
  });
});
