import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { createLogger } from '@llmp/core';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { startPlatform, type Platform } from './platform';

const CHROMIUM = process.env['LLMP_CHROMIUM'] ?? '/usr/bin/chromium';
const log = createLogger({ name: 'test', level: 'silent' });

// Needs Debian's chromium (installed by .ci/run); without it there is no real browser to drive.
(existsSync(CHROMIUM) ? describe : describe.skip)('dashboard health page in a real browser', () => {
  let platform: Platform;
  let browser: Browser;

  beforeAll(async () => {
    platform = await startPlatform({ log, port: 0, passwordCost: TEST_PASSWORD_COST });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('shows every component live, then a stopped service as down', async () => {
    const page = await browser.newPage();
    await page.goto(platform.url);
    await page.waitForSelector('#overall[data-status="ok"]', { timeout: 15_000 });
    for (const name of ['database', 'document-ingestion', 'data-structuring', 'model-training', 'agent-deployment', 'admin-dashboard']) {
      const status = await page.getAttribute(`tr[data-component="${name}"]`, 'data-status');
      expect({ name, status }).toEqual({ name, status: 'up' });
    }
    expect(await page.locator('tr[data-component="document-ingestion/database"]').count()).toBe(1);
    expect(await page.locator('tr[data-component="database"] svg.spark polyline').count()).toBe(1);

    await platform.services['model-training'].server.close(1000);
    await page.waitForSelector('#overall[data-status="degraded"]', { timeout: 15_000 });
    expect(await page.getAttribute('tr[data-component="model-training"]', 'data-status')).toBe('down');
    expect(await page.textContent('tr[data-component="model-training"]')).toMatch(/ECONNREFUSED|refused|fetch failed/i);
    expect(await page.getAttribute('tr[data-component="document-ingestion"]', 'data-status')).toBe('up');
  }, 60_000);
});
