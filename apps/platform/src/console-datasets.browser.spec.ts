import { CONSOLE_TRAINING_SECONDS, hasChromium, startConsoleBrowser, type ConsoleBrowser, type ConsolePage } from './testing/console-browser';

// Room for a loaded CI host: on an idle one each flow takes a fraction of it.
const FLOW_TIMEOUT_MS = 180_000;
const REVIEWER_NOTE = 'Edited in review: passwords are stored as scrypt hashes.';
const VIEWER = { username: 'dataset-viewer', password: 'dataset-viewer-password' };

const HANDBOOK = [
  '# Security handbook',
  '',
  '## Passwords',
  'Passwords are stored as salted scrypt hashes. Nobody at the company will ever ask for your password by email.',
  '',
  '## Laptops',
  'Laptops are encrypted with full disk encryption. A lost laptop must be reported to the IT desk within one hour.',
  '',
  '## Licences',
  'Software licences are renewed every year in March by the IT desk. Ask your manager before buying new software.',
  '',
  '## Travel',
  'Book travel through the travel portal at least two weeks ahead. Receipts are filed within thirty days of the trip.',
].join('\n');

const chat = (question: string, answer: string) => JSON.stringify({ messages: [{ role: 'user', content: question }, { role: 'assistant', content: answer }] });
const GOOD_LINES = Array.from({ length: 24 }, (_, i) => chat(`What does rule ${i + 1} of the office say?`, `Rule ${i + 1} says to keep desk ${i + 1} tidy and lock screen ${i + 1} when leaving.`));
// Line 2: a role the format does not have; line 4: not JSON at all; line 5: no messages.
const BROKEN_LINES = [GOOD_LINES[0], '{"messages": [{"role": "robot", "content": "beep"}]}', GOOD_LINES[1], 'this is not json', '{"messages": []}'];

const jsonl = (lines: string[]) => Buffer.from(`${lines.join('\n')}\n`);

/** Points drawn on the loss chart's lines (recharts draws one dot per measurement per line). */
const chartPoints = (page: ConsolePage) => page.locator('.recharts-line-dots circle').count();

// Needs Debian's chromium (installed by .ci/run); without it there is no real browser to drive.
(hasChromium() ? describe : describe.skip)('datasets, training and the model registry in the web console', () => {
  let consoleBrowser: ConsoleBrowser;
  let versionUrl: string;
  let datasetUrl: string;
  const platform = () => consoleBrowser.platform;
  const openPage = () => consoleBrowser.openPage();
  const expectAccessible: ConsoleBrowser['expectAccessible'] = (page, name) => consoleBrowser.expectAccessible(page, name);
  const capture: ConsoleBrowser['capture'] = (page, name) => consoleBrowser.capture(page, name);
  const logIn: ConsoleBrowser['logIn'] = (page, credentials) => consoleBrowser.logIn(page, credentials);
  const admin = () => consoleBrowser.admin();

  /** The public API as the seed uses it: the knowledge base a dataset is built from, and a user. */
  async function api<T>(token: string, method: string, path: string, body?: unknown | FormData): Promise<T> {
    const res = await fetch(`${platform().url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  beforeAll(async () => {
    consoleBrowser = await startConsoleBrowser();
    const login = await fetch(`${platform().url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin()) });
    const { token } = (await login.json()) as { token: string };
    await api(token, 'POST', '/api/users', { ...VIEWER, role: 'user' });
    const kb = await api<{ id: string }>(token, 'POST', '/api/ingestion/knowledge-bases', { name: 'Security handbook', visibility: 'organisation' });
    const form = new FormData();
    form.append('file', new Blob([HANDBOOK], { type: 'text/markdown' }), 'security.md');
    await api(token, 'POST', `/api/ingestion/knowledge-bases/${kb.id}/documents`, form);
    for (const deadline = Date.now() + 30_000; ; ) {
      const docs = await api<{ data: Array<{ status: string }> }>(token, 'GET', `/api/ingestion/knowledge-bases/${kb.id}/documents`);
      if (docs.data[0]?.status === 'ready') break;
      if (docs.data[0]?.status === 'failed' || Date.now() > deadline) throw new Error(`the handbook did not become ready: ${JSON.stringify(docs.data)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 240_000);
  afterAll(async () => {
    await consoleBrowser?.stop();
  });

  it('builds a dataset from a knowledge base, shows a broken upload by line, reviews and cleans records, and freezes a version to export', async () => {
    const page = await openPage();
    await logIn(page, admin());
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Datasets' }).click();
    const create = page.getByRole('form', { name: 'Create a dataset' });
    await create.getByLabel('Name').fill('Security Q&A');
    await create.getByLabel('Visibility').selectOption('organisation');
    await create.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Security Q&A' }).waitFor();
    datasetUrl = page.url();

    const build = page.getByRole('form', { name: 'Build from a knowledge base' });
    expect(await build.getByLabel('Knowledge base').locator('option').first().textContent()).toContain('Security handbook');
    await build.getByLabel('Records').selectOption('qa');
    await build.getByRole('button', { name: 'Build' }).click();
    await page.waitForSelector('tr[data-build][data-status="completed"]', { timeout: 30_000 });
    const built = Number(await page.locator('tr[data-build] td').nth(5).textContent());
    expect(built).toBeGreaterThan(0);
    await page.waitForSelector(`[data-count="Records"] >> text="${built}"`);

    await page.setInputFiles('[data-dataset-upload]', { name: 'broken.jsonl', mimeType: 'application/x-ndjson', buffer: jsonl(BROKEN_LINES) });
    await page.waitForSelector('[data-upload="broken.jsonl"][data-state="stored"]');
    expect(await page.textContent('[data-upload="broken.jsonl"]')).toContain('2 stored, 3 refused');
    expect(await page.getAttribute('[data-error-count]', 'data-error-count')).toBe('3');
    const refused = page.getByRole('table', { name: 'refused lines' });
    const rows = refused.locator('tbody tr');
    const cells = await Promise.all(Array.from({ length: await rows.count() }, (_, i) => rows.nth(i).locator('td').allTextContents()));
    expect(cells).toEqual([
      ['2', 'messages[0].role', 'must be one of system, user, assistant'],
      ['4', 'whole line', expect.stringMatching(/^is not valid JSON/)],
      ['5', expect.stringMatching(/^messages/), expect.any(String)],
    ]);
    await capture(page, 'dataset-upload-errors');
    await expectAccessible(page, 'dataset with upload errors');

    await page.setInputFiles('[data-dataset-upload]', { name: 'rules.jsonl', mimeType: 'application/x-ndjson', buffer: jsonl(GOOD_LINES) });
    await page.waitForSelector('[data-upload="rules.jsonl"][data-state="stored"]');
    await page.waitForSelector(`[data-count="Records"] >> text="${built + 2 + GOOD_LINES.length}"`);

    // Review: accept the first record, reject the second, rewrite the third.
    await page.getByRole('button', { name: 'Accept record 1', exact: true }).click();
    await page.waitForSelector('tr[data-index="0"][data-status="accepted"]');
    await page.getByRole('button', { name: 'Reject record 2', exact: true }).click();
    await page.waitForSelector('tr[data-index="1"][data-status="rejected"]');
    await page.getByRole('button', { name: 'Edit record 3', exact: true }).click();
    const editor = page.getByRole('textbox', { name: /^Record rec_/ });
    await editor.fill(chat('How are passwords stored?', REVIEWER_NOTE));
    await page.getByRole('button', { name: 'Save record' }).click();
    await page.waitForSelector(`tr[data-index="2"] >> text=${REVIEWER_NOTE}`);
    // A record that breaks the format is refused with the path at fault, and nothing changes.
    await page.getByRole('button', { name: 'Edit record 3', exact: true }).click();
    await editor.fill('{"messages": [{"role": "robot", "content": "x"}]}');
    await page.getByRole('button', { name: 'Save record' }).click();
    await page.getByRole('alert').filter({ hasText: 'messages[0].role' }).waitFor();
    await page.getByRole('button', { name: 'Close editor' }).click();
    await page.waitForSelector('[data-count="Accepted"] >> text="1"');
    await page.waitForSelector('[data-count="Rejected"] >> text="1"');

    // The uploaded "good" lines include the broken file's first two: exact duplicates for the cleaner.
    const clean = page.getByRole('form', { name: 'Clean records' });
    await clean.getByRole('button', { name: 'Run cleaning' }).click();
    await page.waitForSelector('[data-cleaning-result] tr[data-pass="exact-dedup"]');
    const exact = await page.locator('[data-cleaning-result] tr[data-pass="exact-dedup"] td').allTextContents();
    const before = built + 2 + GOOD_LINES.length - 1;
    expect(exact.slice(0, 4)).toEqual(['Exact duplicates', String(before), String(before - 2), '2']);
    expect(await page.locator('[data-cleaning-result] tr[data-pass]').count()).toBe(3);
    await page.getByRole('button', { name: 'Accept all pending' }).click();
    await page.waitForSelector('[data-count="Pending"] >> text="0"');
    await capture(page, 'dataset');
    await expectAccessible(page, 'dataset');

    const freeze = page.getByRole('form', { name: 'Freeze a version' });
    await freeze.getByLabel('Validation share').fill('0.2');
    await freeze.getByLabel('Seed').fill('console');
    await freeze.getByRole('button', { name: 'Freeze version' }).click();
    await page.getByText(/Version 1 frozen: \d+ train, \d+ validation, 0 test/).waitFor();
    await page.getByRole('link', { name: 'Version 1' }).click();
    await page.getByRole('heading', { name: 'Version 1' }).waitFor();
    versionUrl = page.url();
    expect(await page.textContent('[data-split-settings]')).toContain('80% train, 20% validation, 0% test by record id with seed console');
    expect(Number(await page.locator('tr[data-split="train"] td').nth(1).textContent())).toBeGreaterThan(0);
    expect(await page.getByRole('table', { name: 'version cleaning passes' }).locator('tbody tr').count()).toBe(3);
    expect(await page.getByRole('list', { name: 'export formats' }).getByRole('link').allTextContents()).toEqual([
      'Download OpenAI chat (JSONL)',
      'Download Alpaca (JSON)',
      'Download ShareGPT (JSON)',
    ]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download Alpaca (JSON)' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^ds_.*-v1-alpaca\.json$/);
    const exported = JSON.parse((await streamBytes(await download.createReadStream())).toString('utf8')) as Array<{ instruction: string; output: string }>;
    expect(exported.map((r) => r.output)).toContain(REVIEWER_NOTE);
    await capture(page, 'dataset-version');
    await expectAccessible(page, 'dataset version');
    // The browser reports the refused edit's 400 itself; nothing else may fail.
    expect(page.errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    expect(page.errors).toHaveLength(1);
    await page.close();
  }, FLOW_TIMEOUT_MS);

  it('refuses an oversized job with the pre-flight estimate, then trains a tiny one with a live loss curve into the registry', async () => {
    const page = await openPage();
    await logIn(page, admin());
    await page.goto(versionUrl);
    await page.getByRole('link', { name: 'Train on this version' }).click();
    const form = page.getByRole('form', { name: 'Start a training job' });
    await form.getByLabel('Frozen version').locator('option').first().waitFor({ state: 'attached' });
    expect(await form.getByLabel('Frozen version').inputValue()).toBe(decodeURIComponent(new URL(versionUrl).pathname.split('/').pop()!));

    await form.getByLabel('Preset').selectOption('llmp-llama-base');
    await form.getByLabel('Epochs').fill('100');
    await form.getByLabel('Batch size').fill('64');
    await form.getByLabel('Context length').fill('512');
    await form.getByRole('button', { name: 'Start training' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Refused by the pre-flight check' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(new RegExp(`this job would need .*about \\d+ s \\(the limit is ${CONSOLE_TRAINING_SECONDS} s\\)`));
    expect(await refusal.locator('tr[data-over]').count()).toBeGreaterThan(0);
    await capture(page, 'training-preflight');
    await expectAccessible(page, 'training pre-flight refusal');

    // Ten epochs of about 30 steps: a few seconds of training, long enough to watch the curve grow.
    await form.getByLabel('Preset').selectOption('llmp-llama-tiny');
    await form.getByLabel('Epochs').fill('10');
    await form.getByLabel('Batch size').fill('4');
    await form.getByLabel('Context length').fill('32');
    await form.getByLabel('Vocabulary size').fill('300');
    await form.getByLabel('Evaluate every (steps)').fill('10');
    await form.getByLabel('Checkpoint every (steps)').fill('60');
    await form.getByLabel('Seed').fill('7');
    await form.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('heading', { name: /^ftjob_/ }).waitFor();

    // The curve grows as the stream brings measurements, without a reload.
    const seen: number[] = [];
    for (const deadline = Date.now() + 60_000; ; ) {
      const points = await chartPoints(page);
      if (points !== seen[seen.length - 1]) seen.push(points);
      if (seen.filter((n) => n > 0).length >= 2) break;
      if (Date.now() > deadline) throw new Error(`the loss curve did not move in 60 s: ${seen.join(' → ')}`);
      await page.waitForTimeout(100);
    }
    expect(seen[seen.length - 1]).toBeGreaterThan(seen.find((n) => n > 0)!);
    await page.waitForSelector('tr[data-checkpoint]', { timeout: 30_000 });
    await page.waitForSelector('[data-job-state="succeeded"]', { timeout: 60_000 });
    await page.getByText('stream ended').waitFor();
    // Training and validation loss: one dot per measurement on each of the two lines.
    const measurements = await page.locator('ol[aria-label="job events"] li[data-type="metrics"]').count();
    expect(await chartPoints(page)).toBe(2 * measurements);
    expect(await page.getAttribute('.chart-figure', 'data-points')).toBe(String(measurements));
    const last = await page.locator('tr[data-checkpoint]').first().locator('td').allTextContents();
    expect(last[2]).toMatch(/^\d+\.\d{3}$/);
    expect(await page.textContent('ol[aria-label="job events"]')).toContain('The job has successfully completed');
    await capture(page, 'training-job');
    await expectAccessible(page, 'training job');

    await page.getByRole('link', { name: /^Model model_/ }).click();
    await page.getByRole('heading', { name: /^model_/ }).waitFor();
    const modelId = (await page.getByRole('heading', { level: 1 }).textContent())!;
    expect(await page.textContent('[data-metrics]')).toMatch(/validation loss \d+\.\d{3}/);
    const link = page.locator('[data-download="gguf"]');
    expect(await link.getAttribute('href')).toBe(`/api/training/models/${modelId}/download`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`${modelId}.gguf`);
    const gguf = await streamBytes(await download.createReadStream());
    expect(gguf.subarray(0, 4).toString('latin1')).toBe('GGUF');
    await capture(page, 'model');
    await expectAccessible(page, 'model');

    await page.getByRole('link', { name: '← Models' }).click();
    await page.waitForSelector(`tr[data-model="${modelId}"]`);
    await capture(page, 'models');
    await expectAccessible(page, 'models');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Training' }).click();
    await page.waitForSelector('tr[data-job][data-state="succeeded"]');
    await capture(page, 'training-jobs');
    await expectAccessible(page, 'training jobs');
    // The browser reports the pre-flight's 422 itself; nothing else may fail.
    expect(page.errors.filter((e) => !/status of 422/.test(e))).toEqual([]);
    expect(page.errors).toHaveLength(1);
    await page.close();
  }, FLOW_TIMEOUT_MS);

  it('offers a user who only reads a dataset no build, upload, review, cleaning or freeze', async () => {
    const page = await openPage();
    await logIn(page, VIEWER);
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()).toEqual(['Knowledge bases', 'Search', 'Datasets', 'Training', 'Models', 'Agents', 'Usage', 'Health']);
    await page.goto(datasetUrl);
    await page.waitForSelector('tr[data-record]');
    expect(await page.textContent('main')).toContain('you: read');
    for (const form of ['Build from a knowledge base', 'Clean records', 'Freeze a version']) expect(await page.getByRole('form', { name: form }).count()).toBe(0);
    expect(await page.locator('[data-dataset-upload]').count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Accept|Reject|Edit) record/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Accept all pending' }).count()).toBe(0);
    await capture(page, 'dataset-as-user');
    await expectAccessible(page, 'dataset as a user');
    expect(page.errors).toEqual([]);
    await page.close();
  }, 60_000);
});

async function streamBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
