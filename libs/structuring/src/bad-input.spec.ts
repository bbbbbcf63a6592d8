import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { TEST_IDENTITY_HEADER } from '@llmp/auth/testing';
import { startStructuringHarness, type StructuringHarness } from './testing/structuring-harness';

const MAX_LINE_BYTES = 64 * 1024;
const ALICE = JSON.stringify({ userId: 'usr_alice', username: 'alice', role: 'user', via: 'token' });
const good = (i: number) => JSON.stringify({ messages: [{ role: 'user', content: `Question ${i}?` }, { role: 'assistant', content: `Answer ${i}.` }] });

/** Streams a body through the signing hop with chunked encoding, as a client uploading a file it has not measured would. */
function streamUpload(url: string, body: Readable, { abortAfterBytes }: { abortAfterBytes?: number } = {}): Promise<{ status: number; body: Record<string, unknown> } | 'aborted'> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', [TEST_IDENTITY_HEADER]: ALICE } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    let sent = 0;
    body.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (abortAfterBytes !== undefined && sent > abortAfterBytes) {
        body.destroy();
        req.destroy();
        resolve('aborted');
        return;
      }
      if (!req.write(chunk)) {
        body.pause();
        req.once('drain', () => body.resume());
      }
    });
    body.on('end', () => req.end());
    req.on('error', (error) => (abortAfterBytes === undefined ? reject(error) : resolve('aborted')));
  });
}

describe('bad uploads', () => {
  let h: StructuringHarness;
  let ds: string;
  beforeAll(async () => {
    h = await startStructuringHarness({ limits: { maxLineBytes: MAX_LINE_BYTES } });
  });
  beforeEach(async () => {
    ds = (await h.as('user', 'usr_alice').post('/api/datasets').send({ name: 'Bad input' }).expect(201)).body.id;
  });
  afterAll(() => h.close());

  const send = (body: string | Buffer, { type = 'application/x-ndjson', query = '' } = {}) =>
    h.as('user', 'usr_alice').post(`/api/datasets/${ds}/uploads${query}`).type(type).send(Buffer.isBuffer(body) ? body : Buffer.from(body));
  const total = async () => (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}`).expect(200)).body.records.total as number;

  it('reports broken JSON lines and wrong shapes by line and path, keeping the rest', async () => {
    const lines = [
      good(1),
      '{"messages": [{"role": "user", "content": "cut off',
      '{"messages": "hello"}',
      '{"messages": [{"role": "user", "content": 42}, {"role": "assistant"}]}',
      '{"conversations": [{"from": "alien", "value": "x"}]}',
      '{"instruction": "Sum", "output": 3}',
      '{"prompt": "x", "completion": "y"}',
      '"just a string"',
      '{"messages": [{"role": "user", "content": "a\\u0000b"}, {"role": "assistant", "content": "ok"}]}',
      good(2),
    ];
    const res = await send(lines.join('\n')).expect(201);
    expect(res.body).toMatchObject({ stored: 2, rejected: 8 });
    expect(res.body.errors).toEqual([
      expect.stringMatching(/^line 2: is not valid JSON: /),
      'line 3: messages must be an array',
      'line 4: messages[0].content must be a string',
      'line 4: messages[1].content is required',
      'line 5: conversations[0].from must be one of system, human, gpt',
      'line 6: output must be a string',
      expect.stringMatching(/^line 7: matches no known format/),
      'line 8: must be a JSON object',
      'line 9: messages[0].content must not contain NUL characters (\\u0000)',
    ]);
  });

  it('rejects a line over the size cap without holding it, and keeps the lines around it', async () => {
    const huge = JSON.stringify({ text: 'x'.repeat(MAX_LINE_BYTES * 3) });
    const res = await send([good(1), huge, good(3)].join('\n')).expect(201);
    expect(res.body).toMatchObject({ stored: 2, rejected: 1, errors: [`line 2: is ${huge.length} bytes, over the limit of ${MAX_LINE_BYTES} bytes`] });
  });

  it('rejects lines that are not UTF-8, and reads BOMs and CRLF line ends', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${good(1)}\r\n`), Buffer.from('{"text": "caf'), Buffer.from([0xe9, 0xff]), Buffer.from('"}\r\n'), Buffer.from(`${good(3)}\r\n`)]);
    const res = await send(body).expect(201);
    expect(res.body).toMatchObject({ stored: 2, rejected: 1, errors: ['line 2: is not valid UTF-8'] });
    const records = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}/records`).expect(200)).body.data;
    expect(records[1].record.messages[1].content).toBe('Answer 3.');
  });

  it('reads CSV with quoted commas, quotes and newlines, and names the missing columns of short rows', async () => {
    const csv = ['instruction,input,output', '"Say ""hi"", twice",,"hi, hi"', 'Only one column', '"Two lines",,"first', 'second"', 'a,b,c,d'].join('\r\n');
    const res = await send(csv, { type: 'text/csv' }).expect(201);
    expect(res.body).toMatchObject({ stored: 2, rejected: 2 });
    expect(res.body.errors).toEqual(['line 3: has 1 of 3 columns: missing "input", "output"', 'line 6: has 4 columns, the header names 3']);
    const records = (await h.as('user', 'usr_alice').get(`/api/datasets/${ds}/records`).expect(200)).body.data;
    expect(records.map((r: { record: { messages: Array<{ content: string }> } }) => r.record.messages[1].content)).toEqual(['hi, hi', 'first\r\nsecond']);
  });

  it('answers 422 for a CSV whose header names no known layout, and for an empty file', async () => {
    const res = await send('question;answer\nx;y\n', { type: 'text/csv' }).expect(422);
    expect(res.body.error.message).toMatch(/^no record of the file could be stored: line 1: the CSV header names no known layout/);
    expect((await send('').expect(422)).body.error.message).toBe('no record of the file could be stored: the file holds no records');
  });

  it('checks a forced format and file type, and refuses unknown ones', async () => {
    const forced = await send(good(1), { query: '?format=sharegpt' }).expect(422);
    expect(forced.body.error.details.errors).toEqual(['line 1: conversations is required']);
    const res = await send(good(1), { query: '?fileType=xml' }).expect(400);
    expect(res.body.error.message).toMatch(/query\.fileType/);
  });

  it('answers 400 for a multipart body without a boundary or without a file', async () => {
    const noBoundary = await send('--x\r\n', { type: 'multipart/form-data' }).expect(400);
    expect(noBoundary.body.error.code).toBe('malformed_multipart');
    const noFile = await h.as('user', 'usr_alice').post(`/api/datasets/${ds}/uploads`).field('note', 'no file here').expect(400);
    expect(noFile.body.error.code).toBe('no_file');
  });

  it('stores nothing of an upload that breaks off, and stays usable', async () => {
    async function* lines() {
      for (let i = 0; i < 200_000; i++) yield `${good(i)}\n`;
    }
    expect(await streamUpload(`${h.forwarderUrl}/api/datasets/${ds}/uploads`, Readable.from(lines()), { abortAfterBytes: 2_000_000 })).toBe('aborted');
    await new Promise((r) => setTimeout(r, 500));
    expect(await total()).toBe(0);
    await send(good(1)).expect(201);
    expect(await total()).toBe(1);
  });

  it('streams a 1,000,000-line file through validation with bounded memory', async () => {
    const LINES = 1_000_000;
    const progress = { lines: 0, bytes: 0 };
    // Live memory after a full collection is what the upload really holds; RSS also counts garbage not yet collected.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const live: number[] = [];
    async function* lines() {
      let batch = '';
      for (let i = 0; i < LINES; i++) {
        if (i % (LINES / 10) === 0) {
          gc();
          const usage = process.memoryUsage();
          live.push(usage.heapUsed + usage.arrayBuffers);
        }
        batch += i % 1000 === 999 ? '{"messages": "broken"}\n' : `${good(i)}\n`;
        if (batch.length > 64 * 1024) {
          progress.lines = i;
          progress.bytes += batch.length;
          yield batch;
          batch = '';
        }
      }
      progress.bytes += batch.length;
      yield batch;
    }
    // Memory after the first tenth of the file is the baseline: what the rest adds must not grow with the file.
    let warm = 0;
    let peak = 0;
    const sampler = setInterval(() => {
      const rss = process.memoryUsage().rss;
      if (progress.lines < LINES / 10) warm = Math.max(warm, rss);
      else peak = Math.max(peak, rss);
    }, 50);
    const started = Date.now();
    const res = await streamUpload(`${h.forwarderUrl}/api/datasets/${ds}/uploads?dryRun=true`, Readable.from(lines()));
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    expect(res).not.toBe('aborted');
    const { status, body } = res as { status: number; body: Record<string, unknown> };
    expect(status).toBe(200);
    expect(body).toMatchObject({ dryRun: true, valid: LINES - 1000, rejected: 1000, errorCount: 1000, stored: 0 });
    expect((body.errors as string[]).length).toBe(100);
    expect((body.errors as string[])[0]).toBe('line 1000: messages must be an array');
    const mib = (bytes: number) => bytes / 2 ** 20;
    const liveGrowth = mib(Math.max(...live.slice(1)) - live[1]);
    const rssGrowth = mib(peak - warm);
    process.stdout.write(
      `1,000,000 lines (${mib(progress.bytes).toFixed(0)} MiB) validated in ${seconds.toFixed(1)} s; ` +
        `live memory after the first 10% grew by ${liveGrowth.toFixed(1)} MiB at most, RSS by ${rssGrowth.toFixed(0)} MiB\n`,
    );
    expect(liveGrowth).toBeLessThan(32);
    expect(rssGrowth).toBeLessThan(mib(progress.bytes));
  }, 180_000);
});
