import type { Page } from 'playwright-core';
import { aPdf } from '@llmp/ingestion/testing';
import { hasChromium, startConsoleBrowser, WIDE, type ConsoleBrowser } from './testing/console-browser';

// The first load's budget from navigation start to a usable login form (a loaded CI host may raise it).
const INTERACTIVE_BUDGET_MS = Number(process.env['LLMP_CONSOLE_INTERACTIVE_BUDGET_MS'] ?? 1000);
const READER = { username: 'reader', password: 'reader-password', newPassword: 'reader-new-password' };
const HANDBOOK_PDF = aPdf({
  title: 'Employee handbook',
  pages: [
    ['Employee handbook', 'Software licences are renewed every year in March by the IT desk.'],
    ['Travel', 'Book travel through the travel portal at least two weeks ahead.'],
  ],
});

/**
 * When the login form had mounted, from navigation start: its effect sets the mark just after the first paint.
 * Polled with `evaluate` (a function call in the page) rather than `waitForFunction`, whose string predicate the
 * console's CSP refuses to evaluate when it is not true at the first try.
 */
async function loginReadyAt(page: Page): Promise<number> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await page.waitForTimeout(20)) {
    const mark = await page.evaluate(() => performance.getEntriesByName('llmp:login-form-ready')[0]?.startTime);
    if (mark !== undefined) return mark;
  }
  throw new Error('the login form did not set its ready mark within 30 s');
}

// Needs Debian's chromium (installed by .ci/run); without it there is no real browser to drive.
(hasChromium() ? describe : describe.skip)('the web console in a real browser', () => {
  let consoleBrowser: ConsoleBrowser;
  let knowledgeBaseUrl: string;
  const platform = () => consoleBrowser.platform;
  const openPage = () => consoleBrowser.openPage();
  const expectAccessible: ConsoleBrowser['expectAccessible'] = (page, name) => consoleBrowser.expectAccessible(page, name);
  const capture: ConsoleBrowser['capture'] = (page, name) => consoleBrowser.capture(page, name);
  const logIn: ConsoleBrowser['logIn'] = (page, credentials) => consoleBrowser.logIn(page, credentials);
  const admin = () => consoleBrowser.admin();

  beforeAll(async () => {
    consoleBrowser = await startConsoleBrowser();
  }, 240_000);
  afterAll(async () => {
    await consoleBrowser?.stop();
  });

  it('shows the login form interactive within a second of the first load, then logs in by keyboard', async () => {
    const page = await openPage();
    await page.goto(`${platform().url}/`);
    const submit = page.getByRole('button', { name: 'Log in' });
    await submit.waitFor();
    expect(await submit.isEnabled()).toBe(true);
    // Measured in the browser (User Timing mark set when the login form has mounted), from navigation start.
    const interactiveMs = await loginReadyAt(page);
    const timing = (await page.evaluate(
      `(() => {
        const n = performance.getEntriesByType('navigation')[0];
        const scripts = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.js'));
        return { html: n.responseEnd, scripts: Math.max(...scripts.map((r) => r.responseEnd)), domContentLoaded: n.domContentLoadedEventEnd };
      })()`,
    )) as { html: number; scripts: number; domContentLoaded: number };
    process.stdout.write(
      `console: login form interactive ${Math.round(interactiveMs)} ms after navigation start ` +
        `(index.html ${Math.round(timing.html)} ms, scripts ${Math.round(timing.scripts)} ms, DOMContentLoaded ${Math.round(timing.domContentLoaded)} ms)\n`,
    );
    expect(new URL(page.url()).pathname).toBe('/login');
    await capture(page, 'login');
    await expectAccessible(page, 'login');

    await page.getByLabel('Username').focus();
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(admin().password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Knowledge bases' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Knowledge bases', 'Search', 'Datasets', 'Training', 'Models', 'Agents', 'Usage', 'Users', 'Health']);
    expect(page.errors).toEqual([]);
    await page.close();

    // Four more first visits, each in a fresh context (empty cache, no session): the best of five
    // is the console's time, the others say how much the host's other work (the rest of the test
    // run shares its two cores) added to it.
    const visits = [interactiveMs];
    for (let i = 0; i < 4; i++) {
      const fresh = await consoleBrowser.browser.newContext({ viewport: WIDE });
      const visit = await fresh.newPage();
      await visit.goto(`${platform().url}/`);
      await visit.getByRole('button', { name: 'Log in' }).waitFor();
      visits.push(await loginReadyAt(visit));
      await fresh.close();
    }
    process.stdout.write(`console: first visits interactive after ${visits.map((v) => `${Math.round(v)} ms`).join(', ')}\n`);
    // Last, so that a slow host does not hide what else this test would find.
    expect(Math.min(...visits)).toBeLessThan(INTERACTIVE_BUDGET_MS);
  });

  it('creates a knowledge base, takes a PDF dropped on it and shows the document reach ready', async () => {
    const page = await openPage();
    await logIn(page, admin());
    const form = page.getByRole('form', { name: 'Create a knowledge base' });
    await form.getByLabel('Name').fill('Handbook');
    await form.getByLabel('Description').fill('Company policies');
    await form.getByLabel('Visibility').selectOption('organisation');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Handbook' }).waitFor();
    knowledgeBaseUrl = page.url();
    expect(new URL(knowledgeBaseUrl).pathname).toMatch(/^\/knowledge-bases\/kb_/);

    const dataTransfer = await page.evaluateHandle(
      `(() => {
        const bytes = Uint8Array.from(atob(${JSON.stringify(HANDBOOK_PDF.toString('base64'))}), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'handbook.pdf', { type: 'application/pdf' }));
        return transfer;
      })()`,
    );
    await page.dispatchEvent('[data-drop-zone]', 'dragover', { dataTransfer });
    await page.dispatchEvent('[data-drop-zone]', 'drop', { dataTransfer });
    await page.waitForSelector('[data-upload="handbook.pdf"][data-state="stored"]', { timeout: 30_000 });
    expect(await page.getByRole('progressbar', { name: 'upload of handbook.pdf' }).getAttribute('aria-valuenow')).toBe('100');
    // The list polls while the pipeline runs: no reload between queued and ready.
    await page.waitForSelector('tr[data-document="handbook.pdf"][data-status="ready"]', { timeout: 60_000 });
    expect(await page.getByRole('progressbar', { name: 'pipeline progress of handbook.pdf' }).getAttribute('aria-valuenow')).toBe('100');
    await capture(page, 'knowledge-base');
    await expectAccessible(page, 'knowledge base');

    await page.getByRole('link', { name: '← Knowledge bases' }).click();
    await page.waitForSelector('tr[data-knowledge-base="Handbook"]');
    expect(await page.textContent('tr[data-knowledge-base="Handbook"]')).toContain('1 / 1 ready');
    await capture(page, 'knowledge-bases');
    await expectAccessible(page, 'knowledge bases');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('searches the knowledge base and shows the answer with its citation', async () => {
    const page = await openPage();
    await logIn(page, admin());
    await page.getByRole('link', { name: 'Search' }).click();
    const form = page.getByRole('form', { name: 'Search' });
    await form.getByRole('checkbox', { name: 'Handbook' }).waitFor();
    expect(await form.getByRole('checkbox', { name: 'Handbook' }).isChecked()).toBe(true);
    await form.getByLabel('Question').fill('when are software licences renewed');
    await form.getByRole('button', { name: 'Search' }).click();
    const citation = page.locator('cite.citation').first();
    await citation.waitFor();
    expect(await citation.textContent()).toMatch(/handbook\.pdf \(Handbook\) · page 1/);
    expect(await page.locator('.results li').first().textContent()).toContain('renewed every year in March');
    await capture(page, 'search');
    await expectAccessible(page, 'search');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('lets an admin create a user and change roles on the users page', async () => {
    const page = await openPage();
    await logIn(page, admin());
    await page.getByRole('link', { name: 'Users' }).click();
    const form = page.getByRole('form', { name: 'Create a user' });
    await form.getByLabel('Username').fill(READER.username);
    await form.getByLabel('Password').fill(READER.password);
    await form.getByLabel('Role').selectOption('user');
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.waitForSelector(`tr[data-user="${READER.username}"]`);
    expect(await page.getByLabel(`Role of ${READER.username}`).inputValue()).toBe('user');
    // The admin cannot demote or disable themselves from here.
    expect(await page.getByLabel('Role of admin').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Disable admin' }).count()).toBe(0);
    await page.getByRole('button', { name: `Reset password of ${READER.username}` }).click();
    await page.getByRole('textbox', { name: `New password for ${READER.username}` }).fill(READER.newPassword);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Password changed; their sessions ended.').waitFor();
    await capture(page, 'users');
    await expectAccessible(page, 'users');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('offers a user no admin action: no users page, no upload or access settings on a knowledge base they only read', async () => {
    const page = await openPage();
    await logIn(page, admin());
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    await logIn(page, { username: READER.username, password: READER.newPassword });
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Knowledge bases', 'Search', 'Datasets', 'Training', 'Models', 'Agents', 'Usage', 'Health']);
    await page.goto(knowledgeBaseUrl);
    await page.waitForSelector('tr[data-document="handbook.pdf"][data-status="ready"]');
    expect(await page.locator('[data-drop-zone]').count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Access' }).count()).toBe(0);
    expect(await page.textContent('main')).toContain('you: read');
    await capture(page, 'knowledge-base-as-user');
    await expectAccessible(page, 'knowledge base as a user');

    await page.goto(`${platform().url}/users`);
    await page.getByRole('alert').filter({ hasText: 'needs the admin role' }).waitFor();
    expect(await page.locator('table[aria-label="users"]').count()).toBe(0);
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  // Last: it stops a service of the shared platform.
  it('shows the health of every component live without logging in, then a stopped service as down', async () => {
    const page = await openPage();
    await page.goto(`${platform().url}/health`);
    await page.waitForSelector('#overall[data-status="ok"]', { timeout: 15_000 });
    for (const name of ['database', 'document-ingestion', 'data-structuring', 'model-training', 'agent-deployment', 'admin-dashboard']) {
      const status = await page.getAttribute(`tr[data-component="${name}"]`, 'data-status');
      expect({ name, status }).toEqual({ name, status: 'up' });
    }
    expect(await page.locator('tr[data-component="document-ingestion/database"]').count()).toBe(1);
    expect(await page.locator('tr[data-component="database"] svg.spark polyline').count()).toBe(1);
    // Live: the next report (every 3 s) adds a point to each latency line without a reload.
    const points = () => page.getAttribute('tr[data-component="database"] svg.spark polyline', 'points');
    for (const deadline = Date.now() + 15_000; ((await points()) ?? '').split(' ').length < 2; ) {
      if (Date.now() > deadline) throw new Error(`the database latency line has not moved in 15 s: ${await points()}`);
      await page.waitForTimeout(250);
    }
    await capture(page, 'health');
    await expectAccessible(page, 'health');
    expect(page.errors).toEqual([]);

    await platform().services['model-training'].server.close(1000);
    await page.waitForSelector('#overall[data-status="degraded"]', { timeout: 15_000 });
    expect(await page.getAttribute('tr[data-component="model-training"]', 'data-status')).toBe('down');
    expect(await page.textContent('tr[data-component="model-training"]')).toMatch(/ECONNREFUSED|refused|fetch failed/i);
    expect(await page.getAttribute('tr[data-component="document-ingestion"]', 'data-status')).toBe('up');
    // The browser reports the 503 of /healthz itself; nothing else may fail.
    expect(page.errors.filter((e) => !/status of 503/.test(e))).toEqual([]);
    await page.close();
  }, 60_000);
});
