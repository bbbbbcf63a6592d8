import type { DatasetRecord } from '../records/record';
import { createCleaningPipeline, preparedResults, type CleaningPass } from './cleaning-pass';
import { startCleaningThreads, type CleaningThreads } from './cleaning-threads';
import { createExactDedupPass } from './exact-dedup';
import { createLengthFilterPass } from './length-filter';
import { createNearDedupPass } from './near-dedup';
import { createPiiRedactionPass } from './pii';

function random(seed: number) {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

/** Chat records with exact repeats (case and spacing changed), near repeats (one word changed) and personal data. */
function records(count: number): DatasetRecord[] {
  const next = random(99);
  const words = 'pump valve seal motor pressure flow check install replace filter order account invoice refund shipping warranty ticket'.split(' ');
  const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(' ');
  const out: DatasetRecord[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next();
    const earlier = out.length ? (out[Math.floor(next() * out.length)] as { messages: Array<{ role: 'user' | 'assistant'; content: string }> }) : null;
    if (earlier && roll < 0.1) {
      out.push({ messages: earlier.messages.map((m) => ({ ...m, content: `  ${m.content.toUpperCase()}` })) });
    } else if (earlier && roll < 0.2) {
      const answer = earlier.messages[1].content.split(' ');
      answer[Math.floor(next() * answer.length)] = 'gasket';
      out.push({ messages: [earlier.messages[0], { role: 'assistant', content: answer.join(' ') }] });
    } else {
      const contact = roll < 0.3 ? ` Write to tech${i}@example.com or call +44 20 7946 ${String(1000 + i).slice(-4)}.` : '';
      out.push({ messages: [{ role: 'user', content: `${sentence(8)}?` }, { role: 'assistant', content: `${sentence(40)}.${contact}` }] });
    }
  }
  return out;
}

const passes = () => [createExactDedupPass(), createNearDedupPass(), createPiiRedactionPass({ mode: 'hash', salt: 'test salt' }), createLengthFilterPass({ minChars: 10 })];

async function clean(input: DatasetRecord[], made: CleaningPass[], threads?: CleaningThreads, batchSize?: number) {
  const pipeline = createCleaningPipeline(made);
  const outcomes = [];
  for await (const { item, record, droppedBy } of pipeline.outcomes(input.entries(), ([, r]) => r, { threads, batchSize })) outcomes.push({ index: item[0], record, droppedBy });
  return { outcomes, recipe: pipeline.recipe() };
}

describe('cleaning on worker threads', () => {
  let threads: CleaningThreads;
  beforeAll(async () => {
    threads = await startCleaningThreads(2);
  }, 60_000);
  afterAll(() => threads.close());

  it('gives every record the outcome it gets on one thread, in input order, with the same recipe', async () => {
    const input = records(3000);
    const alone = await clean(input, passes());
    // Small batches: many are in flight at once on both threads while earlier ones are decided.
    const threaded = await clean(input, passes(), threads, 37);
    expect(threaded.outcomes.map((o) => o.index)).toEqual(input.map((_, i) => i));
    expect(threaded.outcomes).toEqual(alone.outcomes);
    expect(threaded.recipe).toEqual(alone.recipe);
    const [exact, near, pii] = alone.recipe;
    expect(exact.after).toBeLessThan(exact.before);
    expect(near.after).toBeLessThan(near.before);
    expect(pii.details?.['recordsChanged']).toBeGreaterThan(100);
    expect(JSON.stringify(threaded.outcomes)).toMatch(/\[EMAIL:[0-9a-f]{8}\]/);
  }, 60_000);

  it('computes inline what a pass before it rewrote, since the threads saw the record as it came in', async () => {
    const input = records(600);
    const redactFirst = () => [createPiiRedactionPass({ mode: 'mask' }), createExactDedupPass(), createNearDedupPass()];
    const alone = await clean(input, redactFirst());
    const threaded = await clean(input, redactFirst(), threads, 50);
    expect(threaded.outcomes).toEqual(alone.outcomes);
    expect(threaded.recipe).toEqual(alone.recipe);
  }, 60_000);

  it('fails the run with the thread’s reason when a task throws there, and keeps serving later runs', async () => {
    const broken: CleaningPass = {
      name: 'broken',
      // A MinHash with no permutations cannot be made: the thread reports why.
      prepared: preparedResults('minhash', { permutations: 0 }),
      apply: (record) => record,
      step: () => ({ pass: 'broken', params: {}, before: 0, after: 0 }),
    };
    await expect(clean(records(100), [broken], threads, 10)).rejects.toThrow('a cleaning thread failed: permutations must be a positive integer, got 0');
    const after = await clean(records(100), passes(), threads, 10);
    expect(after.outcomes).toHaveLength(100);
  }, 60_000);

  it('refuses work once closed, rather than waiting for a thread that is gone', async () => {
    const closing = await startCleaningThreads(1);
    await closing.close();
    await expect(closing.prepare(records(1), [{ name: 'content-hash', options: {} }])).rejects.toThrow('the cleaning threads are closed');
  }, 60_000);

  it('refuses a thread count that is not a positive whole number', async () => {
    await expect(startCleaningThreads(0)).rejects.toThrow('cleaning threads must be a positive whole number, got 0');
  });
});
