import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '@llmp/core';
import { paced } from './paced';

/** Deltas at the given times (ms from the start), then the end. */
async function* timed(schedule: [number, string][]): AsyncGenerator<string> {
  const start = performance.now();
  for (const [at, text] of schedule) {
    const wait = at - (performance.now() - start);
    if (wait > 0) await sleep(wait);
    yield text;
  }
}

async function collect(source: AsyncIterable<string>): Promise<{ text: string; at: number }[]> {
  const start = performance.now();
  const out: { text: string; at: number }[] = [];
  for await (const text of source) out.push({ text, at: performance.now() - start });
  return out;
}

describe('paced', () => {
  it('sends the first delta at once and joins the ones that follow within the interval', async () => {
    const schedule: [number, string][] = Array.from({ length: 30 }, (_, i) => [i * 2, `t${i} `]);
    const out = await collect(paced(timed(schedule), 20));
    expect(out.map((o) => o.text).join('')).toBe(schedule.map(([, t]) => t).join(''));
    expect(out[0]).toMatchObject({ text: 't0 ' });
    expect(out[0].at).toBeLessThan(15);
    // 60 ms of deltas every 2 ms leave in a handful of joined events, not 30.
    expect(out.length).toBeGreaterThanOrEqual(3);
    expect(out.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < out.length - 1; i++) expect(out[i].at - out[i - 1].at).toBeGreaterThanOrEqual(18);
  });

  it('sends what is pending as soon as the stream ends, without waiting for the interval', async () => {
    const out = await collect(paced(timed([[0, 'a'], [1, 'b'], [2, 'c']]), 1000));
    expect(out.map((o) => o.text)).toEqual(['a', 'bc']);
    expect(out[1].at).toBeLessThan(500);
  });

  it('sends pending text when the interval is over even while the next delta is slow to come', async () => {
    const out = await collect(paced(timed([[0, 'a'], [2, 'b'], [150, 'c']]), 30));
    expect(out.map((o) => o.text)).toEqual(['a', 'b', 'c']);
    expect(out[1].at).toBeLessThan(120);
  });

  it('streams a model slower than the interval delta by delta', async () => {
    const out = await collect(paced(timed([[0, 'a'], [30, 'b'], [60, 'c'], [90, 'd']]), 10));
    expect(out.map((o) => o.text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('passes every delta through with an interval of 0', async () => {
    const out = await collect(paced(timed([[0, 'a'], [0, 'b'], [0, 'c']]), 0));
    expect(out.map((o) => o.text)).toEqual(['a', 'b', 'c']);
  });

  it('keeps a failure that comes while the consumer is busy for the consumer, not as an unhandled rejection', async () => {
    // In a plain Node process: there an unhandled rejection ends the process, as it would end the service.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, '../testing/paced-slow-consumer.ts')], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ seen: ['a'], caught: 'the model process died' });
  }, 40_000);

  it('ends the source when the consumer stops early', async () => {
    let ended = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) {
          await sleep(1);
          yield `${i}`;
        }
      } finally {
        ended = true;
      }
    }
    for await (const text of paced(source(), 5)) if (text.length) break;
    expect(ended).toBe(true);
  });

  it('passes on an error of the source after what was pending', async () => {
    async function* failing() {
      yield 'a';
      yield 'b';
      throw new Error('the model process died');
    }
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const text of paced(failing(), 50)) seen.push(text);
      })(),
    ).rejects.toThrow('the model process died');
    expect(seen).toEqual(['a', 'b']);
  });
});
