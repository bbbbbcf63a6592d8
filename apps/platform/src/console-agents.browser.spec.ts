import { aPdf } from '@llmp/ingestion/testing';
import { hasChromium, startConsoleBrowser, type ConsoleBrowser } from './testing/console-browser';

const TIDES_PDF = aPdf({
  title: 'Tide tables',
  pages: [
    ['Tide tables', 'The harbour publishes its tide tables every Monday.'],
    ['Spring tides', 'Spring tides happen twice a month, when the sun and the moon line up.'],
  ],
});
const COLLEAGUE = { username: 'colleague', password: 'colleague-password' };
const VIEWER = { username: 'agentviewer', password: 'viewer-password' };

// Needs Debian's chromium (installed by .ci/run); without it there is no real browser to drive.
(hasChromium() ? describe : describe.skip)('the console’s agents, playground, keys and usage in a real browser', () => {
  let consoleBrowser: ConsoleBrowser;
  let adminToken: string;
  let knowledgeBaseId: string;
  let colleagueId: string;
  let agentUrl: string;
  let apiKey: string;
  const url = () => consoleBrowser.platform.url;
  const openPage = () => consoleBrowser.openPage();
  const expectAccessible: ConsoleBrowser['expectAccessible'] = (page, name) => consoleBrowser.expectAccessible(page, name);
  const capture: ConsoleBrowser['capture'] = (page, name) => consoleBrowser.capture(page, name);
  const logIn: ConsoleBrowser['logIn'] = (page, credentials) => consoleBrowser.logIn(page, credentials);

  async function call<T>(method: string, path: string, body?: unknown, token = adminToken): Promise<T> {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  beforeAll(async () => {
    consoleBrowser = await startConsoleBrowser();
    const login = await fetch(`${url()}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(consoleBrowser.admin()) });
    adminToken = ((await login.json()) as { token: string }).token;
    colleagueId = (await call<{ id: string }>('POST', '/api/users', { ...COLLEAGUE, role: 'user' })).id;
    await call('POST', '/api/users', { ...VIEWER, role: 'user' });
    knowledgeBaseId = (await call<{ id: string }>('POST', '/api/ingestion/knowledge-bases', { name: 'Tides', visibility: 'organisation' })).id;
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(TIDES_PDF)], { type: 'application/pdf' }), 'tides.pdf');
    const upload = await fetch(`${url()}/api/ingestion/knowledge-bases/${knowledgeBaseId}/documents`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` }, body: form });
    expect(upload.status).toBeLessThan(300);
    for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 250))) {
      const { data } = await call<{ data: Array<{ status: string }> }>('GET', `/api/ingestion/knowledge-bases/${knowledgeBaseId}/documents`);
      if (data[0]?.status === 'ready') break;
      if (Date.now() > deadline || data[0]?.status === 'failed') throw new Error(`tides.pdf did not become ready: ${JSON.stringify(data)}`);
    }
  }, 240_000);
  afterAll(async () => {
    await consoleBrowser?.stop();
  });

  it('creates an agent over a knowledge base, publishes it and streams an answer with its citation in the playground', async () => {
    const page = await openPage();
    await logIn(page, consoleBrowser.admin());
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Knowledge bases', 'Search', 'Datasets', 'Training', 'Models', 'Agents', 'Usage', 'Users', 'Health']);
    await page.getByRole('link', { name: 'Agents' }).click();
    const form = page.getByRole('form', { name: 'Create an agent' });
    await form.getByLabel('Name').fill('tides');
    await form.getByLabel('Visibility').selectOption('organisation');
    await form.getByLabel('System prompt').fill('Answer from the tide tables.');
    await form.getByRole('checkbox', { name: 'Tides' }).check();
    await form.getByRole('textbox', { name: 'Passages (top k)' }).fill('3');
    await capture(page, 'agents');
    await expectAccessible(page, 'agents');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'tides' }).waitFor();
    agentUrl = page.url();
    expect(new URL(agentUrl).pathname).toMatch(/^\/agents\/agent_/);
    expect(await page.textContent('[data-serving]')).toBe('not published');

    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('serving v1').waitFor();

    const chat = page.getByRole('form', { name: 'Chat' });
    await chat.getByLabel('Message').fill('When do spring tides happen?');
    const streamed = page.waitForResponse((r) => r.url().endsWith('/chat') && r.request().method() === 'POST');
    await chat.getByRole('button', { name: 'Send' }).click();
    // Over SSE: the first words at once, then the rest (joined, as the answer is ready at once), which the page puts together.
    const response = await streamed;
    expect(response.headers()['content-type']).toContain('text/event-stream');
    const contentEvents = (await response.text()).split('\n\n').filter((event) => event.includes('"content":"') && !event.includes('"content":""'));
    expect(contentEvents.length).toBeGreaterThanOrEqual(2);
    const answer = page.locator('[data-turn="assistant"][data-done="true"]');
    await answer.waitFor({ timeout: 20_000 });
    expect(await answer.textContent()).toContain('Spring tides happen twice a month');
    const citation = answer.locator('cite.citation').first();
    expect(await citation.textContent()).toMatch(/\[1\] Tide tables — tides\.pdf · page 2/);
    expect(await answer.locator('li[data-citation="1"]').textContent()).toMatch(/score \d\.\d{3}/);
    await capture(page, 'agent-playground');
    await expectAccessible(page, 'agent playground');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('publishes v2, diffs it with v1 field by field and rolls back to v1', async () => {
    const page = await openPage();
    await logIn(page, consoleBrowser.admin());
    await page.goto(agentUrl);
    const draft = page.getByRole('form', { name: 'Draft' });
    await draft.getByLabel('System prompt').fill('Answer briefly, from the tide tables.');
    await draft.getByRole('textbox', { name: 'Max tokens' }).fill('128');
    await draft.getByRole('button', { name: 'Save draft' }).click();
    await draft.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('serving v2').waitFor();

    const compare = page.getByRole('form', { name: 'Compare versions' });
    expect(await compare.getByLabel('From').inputValue()).toBe('1');
    expect(await compare.getByLabel('To').inputValue()).toBe('2');
    await compare.getByRole('button', { name: 'Compare' }).click();
    const changes = page.getByRole('table', { name: 'changes from v1 to v2' });
    await changes.waitFor();
    expect(await changes.locator('tr[data-field]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field')))).toEqual(['generation.maxTokens', 'systemPrompt']);
    expect(await changes.locator('tr[data-field="generation.maxTokens"]').textContent()).toContain('256128');
    expect(await changes.locator('tr[data-field="systemPrompt"] .diff-to').textContent()).toBe('Answer briefly, from the tide tables.');

    await page.getByRole('button', { name: 'Serve v1' }).click();
    await page.getByText('serving v1').waitFor();
    expect(await page.getAttribute('tr[data-version="1"]', 'data-served')).toBe('true');
    expect(await page.getAttribute('tr[data-version="2"]', 'data-served')).toBe('false');
    await capture(page, 'agent-versions');
    await expectAccessible(page, 'agent versions');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('creates an API key shown once, which answers /v1, then revokes it', async () => {
    const page = await openPage();
    await logIn(page, consoleBrowser.admin());
    await page.goto(agentUrl);
    const create = page.getByRole('form', { name: 'Create a key' });
    await create.getByLabel('Key name').fill('ci');
    await create.getByRole('textbox', { name: 'Requests per minute' }).fill('60');
    await create.getByRole('button', { name: 'Create key' }).click();
    const secret = page.locator('[data-secret]');
    await secret.waitFor();
    apiKey = (await secret.textContent())!;
    expect(apiKey).toMatch(/^llmp_agk_[A-Za-z0-9_-]{43}$/);
    expect(await page.getByRole('button', { name: 'Copy key' }).count()).toBe(1);
    const row = page.locator('tr[data-key="ci"]');
    expect(await row.textContent()).toContain(`${apiKey.slice(0, 15)}…`);
    expect(await row.textContent()).toContain('60 req/min, no limit');
    await capture(page, 'agent-keys');
    await expectAccessible(page, 'agent keys');

    const completion = await fetch(`${url()}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tides', messages: [{ role: 'user', content: 'When are the tide tables published?' }] }),
    });
    expect(completion.status).toBe(200);

    // Shown once: a fresh visit lists the key by its prefix only.
    await page.reload();
    await row.waitFor();
    expect(await page.locator('[data-secret]').count()).toBe(0);
    expect(await row.textContent()).not.toContain(apiKey);
    await page.getByRole('button', { name: 'Revoke ci' }).click();
    await page.waitForSelector('tr[data-key="ci"][data-revoked="true"]');
    const refused = await fetch(`${url()}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(refused.status).toBe(401);
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows the playground and key calls in usage, as charts and as a table', async () => {
    const page = await openPage();
    await logIn(page, consoleBrowser.admin());
    await page.getByRole('link', { name: 'Usage' }).click();
    const table = page.getByRole('table', { name: 'usage' });
    await table.waitFor();
    const cells = (source: string) => page.locator(`tr[data-usage="tides/${source}"] td`).allTextContents();
    expect((await cells('playground')).slice(1, 5)).toEqual(['tides', 'playground', '1', '0']);
    expect((await cells('api')).slice(1, 5)).toEqual(['tides', 'key ci', '1', '0']);
    for (const name of ['Requests per day', 'Tokens per agent', 'Requests per key']) {
      const figure = page.getByRole('figure', { name });
      expect({ name, drawn: (await figure.locator('.recharts-bar-rectangle path').count()) > 0 }).toEqual({ name, drawn: true });
    }
    await capture(page, 'usage');
    await expectAccessible(page, 'usage');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('adds a knowledge base member picked by username', async () => {
    const page = await openPage();
    await logIn(page, consoleBrowser.admin());
    await page.goto(`${url()}/knowledge-bases/${knowledgeBaseId}`);
    const add = page.getByRole('form', { name: 'Add a member' });
    await add.getByLabel('User').fill('coll');
    await page.getByRole('option', { name: COLLEAGUE.username }).click();
    await add.getByLabel('Member role').selectOption('editor');
    await add.getByRole('button', { name: 'Add member' }).click();
    const members = page.getByRole('table', { name: 'members' });
    await members.waitFor();
    expect(await members.locator('tbody tr').first().textContent()).toContain(`${colleagueId}editor`);
    await capture(page, 'knowledge-base-members');
    await expectAccessible(page, 'knowledge base members');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('offers a user who only reads the agent the playground, not publishing, rollback, keys or archiving', async () => {
    const page = await openPage();
    await logIn(page, VIEWER);
    await page.goto(agentUrl);
    await page.getByRole('heading', { name: 'tides' }).waitFor();
    expect(await page.textContent('main')).toContain('you: read');
    for (const name of ['Publish', 'Save draft', 'Archive', 'Serve v2', 'Create key']) expect({ name, count: await page.getByRole('button', { name }).count() }).toEqual({ name, count: 0 });
    expect(await page.getByRole('form', { name: 'Chat' }).count()).toBe(1);
    await capture(page, 'agent-as-user');
    await expectAccessible(page, 'agent as a user');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);
});
