import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSummary } from './artifacts';
import { envPaths } from '../environment/paths';
import type { DeploySummary } from './summary';

describe('writeSummary', () => {
  const root = mkdtempSync(join(tmpdir(), 'llmp-artifacts-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes no terminal escape codes into summary.md, summary.json or the GitHub step summary', () => {
    const paths = envPaths(root, 'pr-1');
    const stepSummary = join(root, 'step-summary.md');
    const summary: DeploySummary = {
      env: 'pr-1',
      outcome: 'failed',
      url: 'http://127.0.0.1:18080',
      expiresAt: '(not deployed)',
      images: {},
      health: [],
      smoke: [],
      steps: [{ title: 'build images', status: 'failed', startedAt: '2026-01-01T00:00:00Z', durationMs: 5, error: '\u001b[31m✖\u001b[39m esbuild failed' }],
      failedStep: 'build images',
      error: '\u001b[1m\u001b[31mERROR\u001b[39m\u001b[22m: \u001b]8;;file:///x\u0007main.ts\u001b]8;;\u0007 does not compile\u001b[0m',
      credentials: '(none)',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:01Z',
      log: paths.logFile,
    };
    writeSummary(paths, summary, { secrets: [], env: { GITHUB_STEP_SUMMARY: stepSummary } });
    for (const file of [paths.summaryMd, paths.summaryJson, stepSummary]) {
      const text = readFileSync(file, 'utf8');
      expect(text.includes('\u001b') || text.includes('\\u001b')).toBe(false);
      expect(text).toContain('ERROR: main.ts does not compile');
    }
  });
});
