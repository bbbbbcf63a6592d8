import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createLogger } from '@llmp/core';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { startPlatform, type Platform } from '../platform';

export const CHROMIUM = process.env['LLMP_CHROMIUM'] ?? '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../../../..');
export const SCREENSHOTS = path.join(ROOT, 'dist/screenshots');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const WIDE = { width: 1280, height: 800 };
export const NARROW = { width: 390, height: 844 };

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; any: Array<{ message: string }> }>;
}

/** A console tab that records every console error and uncaught exception. */
export type ConsolePage = Page & { errors: string[] };

export interface ConsoleBrowser {
  platform: Platform;
  browser: Browser;
  context: BrowserContext;
  /** A fresh tab (sessionStorage is per tab). */
  openPage(): Promise<ConsolePage>;
  /** axe-core on the page as it is: no serious or critical violation. */
  expectAccessible(page: Page, name: string): Promise<void>;
  /** Screenshots at laptop and phone width; at phone width nothing may push the page sideways. */
  capture(page: Page, name: string): Promise<void>;
  logIn(page: Page, credentials: { username: string; password: string }): Promise<void>;
  admin(): { username: string; password: string };
  stop(): Promise<void>;
}

/** Whether a real browser is here; without Debian's chromium the browser suites are skipped, saying why. */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.warn(`console browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set LLMP_CHROMIUM)`);
  return false;
}

/** Builds the console as `npm test` and `npm start` do (a cache hit when nothing changed). */
function buildConsole(): void {
  execFileSync(path.join(ROOT, 'node_modules/.bin/nx'), ['run', 'admin-console:build', '--outputStyle=static'], {
    cwd: ROOT,
    env: { ...process.env, NX_DAEMON: 'false' },
    stdio: 'pipe',
  });
}

/** The longest training job the console tests' platform accepts. */
export const CONSOLE_TRAINING_SECONDS = 600;

/** The embedded platform with its console built, and a warmed chromium with one context at laptop width. */
export async function startConsoleBrowser(): Promise<ConsoleBrowser> {
  buildConsole();
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Ten minutes of training at most, so that a job the console should refuse can be asked for within the form's ranges.
  const platform = await startPlatform({ log: createLogger({ name: 'test', level: 'silent' }), port: 0, passwordCost: TEST_PASSWORD_COST, trainingLimits: { seconds: CONSOLE_TRAINING_SECONDS } });
  // A serving platform has answered before: one request through the gateway warms its code paths
  // (the browser's own cache stays cold, so a timed load is still a first visit).
  await (await fetch(`${platform.url}/login`)).text();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A browser that has shown a page before, as a user's has: a throw-away context renders the
  // public health page's JSON, so a timed load measures the console, not chromium's start.
  const warmup = await browser.newContext();
  await (await warmup.newPage()).goto(`${platform.url}/healthz`);
  await warmup.close();
  // The console's CSP stays on: axe is evaluated through the DevTools protocol, not injected as a script.
  const context = await browser.newContext({ viewport: WIDE });

  return {
    platform,
    browser,
    context,
    async openPage() {
      const page = Object.assign(await context.newPage(), { errors: [] as string[] });
      page.on('console', (message) => {
        if (message.type() === 'error') page.errors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => page.errors.push(`${page.url()}: ${error.message}`));
      return page;
    },
    async expectAccessible(page, name) {
      await page.evaluate(AXE_SOURCE);
      const violations = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)')) as AxeViolation[];
      const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      const where = (n: AxeViolation['nodes'][number]) => `${n.target.join(' ')}: ${n.any.map((a) => a.message).join('; ')}`;
      expect(severe.map((v) => `${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map(where).join(' | ')}`)).toEqual([]);
    },
    async capture(page, name) {
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-1280.png`), fullPage: true });
      await page.setViewportSize(NARROW);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-390.png`), fullPage: true });
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      expect({ name, overflow }).toEqual({ name, overflow: 0 });
      await page.setViewportSize(WIDE);
    },
    async logIn(page, { username, password }) {
      await page.goto(`${platform.url}/login`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Knowledge bases' }).waitFor();
    },
    admin: () => ({ username: 'admin', password: platform.firstAdmin!.password }),
    async stop() {
      await browser.close();
      await platform.stop();
    },
  };
}
