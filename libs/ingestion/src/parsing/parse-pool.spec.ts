import { readdirSync, readFileSync } from 'node:fs';
import { createLogger } from '@llmp/core';
import { aDocx, aDocxExpandingTo } from '../testing/docx-writer';
import { DocumentParseError } from './parse-error';
import { createParsePool, ParserCrashedError, ParserTimeoutError, type ParsePool } from './parse-pool';

const log = createLogger({ name: 'test', level: 'silent' });
const MB = 1024 * 1024;

let heavy: Buffer | undefined;
/** A JSON document whose parsed tree needs far more heap than its bytes: 600,000 small objects. */
function aHeavyJson(): Buffer {
  heavy ??= Buffer.from(JSON.stringify(Array.from({ length: 600_000 }, (_, i) => ({ id: i, name: `record ${i}`, tags: ['a', 'b'] }))));
  return heavy;
}

/** Pids of this process's parser children, from /proc. */
function parserChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('parse-worker')) pids.push(Number(entry));
    } catch {
      // The process exited between listing and reading.
    }
  }
  return pids.sort();
}

describe('parse pool', () => {
  const pools: ParsePool[] = [];
  const aPool = (options: Partial<Parameters<typeof createParsePool>[0]> = {}) => {
    const pool = createParsePool({ log, size: 1, ...options });
    pools.push(pool);
    return pool;
  };
  afterAll(async () => {
    for (const pool of pools) await pool.close();
  });

  it('parses a document in a child process and returns its blocks', async () => {
    const pool = aPool();
    const doc = await pool.parse(aDocx({ title: 'Guide', paragraphs: [{ heading: 1, text: 'Start' }, 'Plug it in.'] }), 'docx');
    expect(doc).toMatchObject({ type: 'docx', title: 'Guide', blocks: [{ kind: 'heading', text: 'Start' }, { kind: 'paragraph', text: 'Plug it in.' }] });
  });

  it('starts all its processes when warmed, and parses with those same processes afterwards', async () => {
    const before = parserChildren();
    const pool = aPool({ size: 2 });
    await pool.warm();
    const warmed = parserChildren().filter((pid) => !before.includes(pid));
    expect(warmed).toHaveLength(2);
    const docs = await Promise.all([pool.parse(Buffer.from('one'), 'text'), pool.parse(Buffer.from('two'), 'text')]);
    expect(docs.map((d) => d.blocks[0]?.text)).toEqual(['one', 'two']);
    expect(parserChildren().filter((pid) => !before.includes(pid))).toEqual(warmed);
  });

  it('reports a file the parser refuses as a DocumentParseError with its code', async () => {
    const pool = aPool();
    const error = await pool.parse(Buffer.from('{"a": [1, 2,'), 'json').catch((e) => e);
    expect(error).toBeInstanceOf(DocumentParseError);
    expect(error.code).toBe('invalid_json');
  });

  it('fails a document that exhausts the heap of its process as parser_crashed, and the next document parses in a fresh process', async () => {
    const pool = aPool({ memoryMb: 96 });
    const error = await pool.parse(aHeavyJson(), 'json').catch((e) => e);
    expect(error).toBeInstanceOf(ParserCrashedError);
    expect(error).toMatchObject({ code: 'parser_crashed', message: expect.stringMatching(/ran out of memory \(its limit is 96 MB\)/) });
    expect((await pool.parse(Buffer.from('Still here.'), 'text')).text).toBe('Still here.');
  });

  it('stops a parser that runs past the time limit as parser_timeout, and the next document parses', async () => {
    const pool = aPool({ timeoutMs: 300 });
    // Started and warm, so the time below is the limit's, not a process start's.
    await pool.parse(Buffer.from('Warm up.'), 'text');
    const json = aHeavyJson();
    const started = performance.now();
    const error = await pool.parse(json, 'json').catch((e) => e);
    expect(error).toBeInstanceOf(ParserTimeoutError);
    expect(error).toMatchObject({ code: 'parser_timeout', message: expect.stringMatching(/^parsing took longer than 300 ms and was stopped/) });
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await pool.parse(Buffer.from('After the timeout.'), 'text')).text).toBe('After the timeout.');
  });

  it('stops the parser when its caller aborts', async () => {
    const pool = aPool();
    const controller = new AbortController();
    const parsing = pool.parse(aHeavyJson(), 'json', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by a user')), 20);
    await expect(parsing).rejects.toThrow('cancelled by a user');
    expect((await pool.parse(Buffer.from('Next one.'), 'text')).text).toBe('Next one.');
  });

  it('refuses a DOCX whose document.xml expands beyond what the parser memory holds, naming the part and sizes', async () => {
    const pool = aPool({ memoryMb: 256 });
    const docx = aDocxExpandingTo({ bytes: 20 * MB });
    expect(docx.length).toBeLessThan(MB);
    const error = await pool.parse(docx, 'docx').catch((e) => e);
    expect(error).toBeInstanceOf(DocumentParseError);
    expect(error.code).toBe('document_too_large');
    expect(error.message).toMatch(/part "word\/document\.xml" expands to 2\d{7} bytes, and at most 16777216 bytes fit in the parser's memory/);
  });

  it('parses documents in several processes at once', async () => {
    const pool = aPool({ size: 2 });
    const texts = await Promise.all(['one', 'two', 'three', 'four'].map(async (t) => (await pool.parse(Buffer.from(`Text ${t}.`), 'text')).text));
    expect(texts).toEqual(['Text one.', 'Text two.', 'Text three.', 'Text four.']);
  });
});
