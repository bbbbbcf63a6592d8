import { Readable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readDataset, type ReadDatasetOptions, type ReadResult } from './dataset-reader';
import { describeIssue } from './record';
import { splitLines } from './segments';

async function read(input: string | Buffer | Buffer[], options: ReadDatasetOptions = {}): Promise<ReadResult[]> {
  const chunks = Array.isArray(input) ? input : [Buffer.from(input)];
  const out: ReadResult[] = [];
  for await (const result of readDataset(chunks, options)) out.push(result);
  return out;
}

/** The same bytes cut into pieces of `size`, so every boundary case is met. */
function cut(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  return pieces;
}

const summary = (results: ReadResult[]) => results.map((r) => ('errors' in r ? r.errors.map((e) => describeIssue(r.line, e)).join('; ') : `line ${r.line}: ${r.format}`));

const chatLine = (q: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });

describe('readDataset on JSON lines', () => {
  it('reads every line, strips a BOM, handles CRLF and skips blank lines while keeping line numbers', async () => {
    const file = `\ufeff${chatLine('a', 'b')}\r\n  \r\n{"text":"t"}\r\n\n{"instruction":"i","output":"o"}`;
    const results = await read(file);
    expect(summary(results)).toEqual(['line 1: openai-chat', 'line 3: text', 'line 5: alpaca']);
    expect(results[1]).toEqual({ line: 3, record: { text: 't' }, format: 'text' });
  });

  it('reports broken lines and wrong shapes on their line and keeps the rest', async () => {
    const file = [chatLine('a', 'b'), '{"messages": [', '{"messages":[{"role":"user","content":1}]}', '42', chatLine('c', 'd')].join('\n');
    expect(summary(await read(file))).toEqual([
      'line 1: openai-chat',
      expect.stringMatching(/^line 2: is not valid JSON: /),
      'line 3: messages[0].content must be a string',
      'line 4: must be a JSON object',
      'line 5: openai-chat',
    ]);
  });

  it('reports invalid UTF-8 on its line, while multi-byte characters split across chunks decode', async () => {
    const good = Buffer.from(`{"text":"héllo wörld ✓"}\n`);
    const bad = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}\n')]);
    const file = Buffer.concat([good, bad, good]);
    for (const size of [1, 2, 3, 7, file.length]) {
      const results = await read(cut(file, size));
      expect(summary(results)).toEqual(['line 1: text', 'line 2: is not valid UTF-8', 'line 3: text']);
      expect(results[2]).toMatchObject({ record: { text: 'héllo wörld ✓' } });
    }
  });

  it('strips a BOM that arrives split across chunks', async () => {
    const file = Buffer.from('\ufeff{"text":"x"}');
    expect(summary(await read(cut(file, 1)))).toEqual(['line 1: text']);
  });

  it('rejects a line over the size cap and keeps reading the lines after it', async () => {
    const huge = `{"text":"${'x'.repeat(10_000)}"}`;
    const file = Buffer.from([chatLine('a', 'b'), huge, chatLine('c', 'd')].join('\n'));
    const results = await read(cut(file, 1000), { maxLineBytes: 4096 });
    expect(summary(results)).toEqual(['line 1: openai-chat', `line 2: is ${huge.length} bytes, over the limit of 4096 bytes`, 'line 3: openai-chat']);
  });

  it('holds no more than the cap of a huge line in memory', async () => {
    const megabyte = Buffer.alloc(1024 * 1024, 0x61);
    async function* hugeLine() {
      yield Buffer.from('{"text":"');
      for (let i = 0; i < 200; i++) yield megabyte;
      yield Buffer.from('"}\n{"text":"after"}\n');
    }
    const before = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const results: ReadResult[] = [];
    for await (const segment of splitLines(hugeLine(), { maxBytes: 64 * 1024 })) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
      results.push({ line: segment.line, errors: [] });
    }
    expect(results.map((r) => r.line)).toEqual([1, 2]);
    expect(peak).toBeLessThan(32 * 1024 * 1024);
    expect(summary(await read([Buffer.from('{"text":"'), ...Array(20).fill(megabyte), Buffer.from('"}\n{"text":"after"}')], { maxLineBytes: 1024 }))).toEqual([
      `line 1: is ${20 * 1024 * 1024 + 11} bytes, over the limit of 1024 bytes`,
      'line 2: text',
    ]);
  });

  it('checks every record against a forced format', async () => {
    expect(summary(await read('{"text":"x"}\n{"instruction":"i","output":"o"}', { format: 'text' }))).toEqual(['line 1: text', 'line 2: text is required']);
  });

  it('reads a 1,000,000-line file as a stream with bounded memory', async () => {
    const lines = 1_000_000;
    const perChunk = 2000;
    function* file() {
      for (let start = 0; start < lines; start += perChunk) {
        let chunk = '';
        for (let i = start; i < start + perChunk; i++) chunk += i % 100_000 === 99_999 ? '{"broken\n' : `{"messages":[{"role":"user","content":"question ${i}"},{"role":"assistant","content":"answer ${i}"}]}\n`;
        yield Buffer.from(chunk);
      }
    }
    // Garbage that is merely not yet collected is not what this test is about: measure what survives a collection.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let valid = 0;
    let invalid = 0;
    let last = 0;
    for await (const result of readDataset(Readable.from(file()))) {
      if ('errors' in result) invalid++;
      else valid++;
      last = result.line;
      if (result.line % 50_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    expect({ valid, invalid, last }).toEqual({ valid: 999_990, invalid: 10, last: 1_000_000 });
    // Holding the records would take hundreds of megabytes.
    expect(peak).toBeLessThan(96 * 1024 * 1024);
  }, 60_000);
});

describe('readDataset on a JSON array', () => {
  const array = `[\n  {"text": "a [with] {brackets} and \\"quotes\\""},\n  ${chatLine('q', 'a')},\n  {"messages": "nope"},\n  7\n]\n`;

  it('streams the elements, each with the line it starts on', async () => {
    const results = await read(array);
    expect(summary(results)).toEqual(['line 2: text', 'line 3: openai-chat', 'line 4: messages must be an array', 'line 5: must be a JSON object']);
    expect(results[0]).toMatchObject({ record: { text: 'a [with] {brackets} and "quotes"' } });
  });

  it('gives the same results however the bytes are cut into chunks', async () => {
    const whole = summary(await read(array));
    for (const size of [1, 2, 5, 13]) expect(summary(await read(cut(Buffer.from(array), size)))).toEqual(whole);
  });

  it('reports a break in the array itself once, after the elements before it', async () => {
    expect(summary(await read('[{"text":"a"}\n{"text":"b"}]'))).toEqual(['line 1: text', 'line 2: expected "," or "]" after the element, found "{"']);
    expect(summary(await read('[{"text":"a"},'))).toEqual(['line 1: text', 'line 1: the JSON array ends without its closing "]"']);
    expect(summary(await read('[{"text":"a"},,{"text":"b"}]'))).toEqual(['line 1: text', 'line 1: expected an element, found ","']);
    expect(summary(await read('[] x'))).toEqual(['line 1: unexpected "x" after the closing "]"']);
    expect(await read(' [ ] ')).toEqual([]);
  });

  it('rejects an element over the size cap without holding it, and keeps the others', async () => {
    const file = `[{"text":"${'y'.repeat(5000)}"}, {"text":"small"}]`;
    expect(summary(await read(cut(Buffer.from(file), 512), { maxLineBytes: 1024 }))).toEqual(['line 1: is 5011 bytes, over the limit of 1024 bytes', 'line 1: text']);
  });
});

describe('readDataset on CSV', () => {
  it('reads quoted fields with commas, doubled quotes and newlines, numbering records by the line they start on', async () => {
    const file = 'instruction,input,output\r\n"Say ""hi"", please",,"Hi,\r\nthere"\r\nSum,"1\n2",3\r\n';
    const results = await read(file);
    expect(summary(results)).toEqual(['line 2: alpaca', 'line 4: alpaca']);
    expect(results[0]).toMatchObject({ record: { messages: [{ role: 'user', content: 'Say "hi", please' }, { role: 'assistant', content: 'Hi,\r\nthere' }] } });
    expect(results[1]).toMatchObject({ record: { messages: [{ role: 'user', content: 'Sum\n\n1\n2' }, { role: 'assistant', content: '3' }] } });
  });

  it('reports missing and extra columns and broken quotes per line, and keeps the rest', async () => {
    const file = ['\ufeffsystem,user,assistant', 'Be brief,Hi,Hello', 'Be brief,Hi', 'a,b,c,d', 'x,"unclosed" y,z', ',Ping,Pong'].join('\n');
    const results = await read(file);
    expect(summary(results)).toEqual([
      'line 2: openai-chat',
      'line 3: has 2 of 3 columns: missing "assistant"',
      'line 4: has 4 columns, the header names 3',
      expect.stringMatching(/^line 5: is not valid CSV: /),
      'line 6: openai-chat',
    ]);
    expect(results[4]).toMatchObject({ record: { messages: [{ role: 'user', content: 'Ping' }, { role: 'assistant', content: 'Pong' }] } });
  });

  it('reads text, tab-separated and JSON messages columns', async () => {
    expect(summary(await read('text\nplain one\n"two, quoted"\n'))).toEqual(['line 2: text', 'line 3: text']);
    expect(summary(await read('instruction\toutput\nDo\tDone\n'))).toEqual(['line 2: alpaca']);
    const messages = JSON.stringify(JSON.parse(chatLine('q', 'a')).messages).replaceAll('"', '""');
    expect(summary(await read(`messages\n"${messages}"\n"[{""role"":""x""}]"\n`))).toEqual([
      'line 2: openai-chat',
      'line 3: messages[0].role must be one of system, user, assistant; line 3: messages[0].content is required',
    ]);
  });

  it('refuses a header that names no known layout', async () => {
    expect(summary(await read('question,answer\nq,a\n', { fileType: 'csv' }))).toEqual([expect.stringMatching(/^line 1: the CSV header names no known layout/)]);
  });

  it('rejects an oversized record, even one with a runaway quote, and goes on with the next lines', async () => {
    const file = `text\n"${'z'.repeat(3000)}\nnext line\nlast line\n`;
    expect(summary(await read(file, { maxLineBytes: 1024 }))).toEqual([expect.stringMatching(/^line 2: is \d+ bytes, over the limit of 1024 bytes$/), 'line 3: text', 'line 4: text']);
  });
});
