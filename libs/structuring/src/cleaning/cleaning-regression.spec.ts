import { createHash } from 'node:crypto';
import type { DatasetRecord } from '../records/record';
import { createCleaningPipeline } from './cleaning-pass';
import { createExactDedupPass } from './exact-dedup';
import { contentHash } from './normalize';
import { createPiiRedactionPass } from './pii';

/** A deterministic pseudo-random generator, so the data set is the same on every run. */
function random(seed: number) {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

const WORDS = 'pump valve seal bearing motor impeller flow pressure gauge filter housing shaft coupling torque install replace inspect clean drain prime check tighten loosen measure record report Ünïcode ＦＵＬＬ'.split(' ');
const PERSONAL = [
  'jane.doe+news@mail.example.co.uk',
  '(555) 123-4567',
  '+49 30 1234567',
  '4111 1111 1111 1111',
  'DE89 3704 0044 0532 0130 00',
  '192.168.10.254',
  '2001:db8:85a3::8a2e:370:7334',
  'sk-proj-Abc123def456GHI789jkl012mno',
  'order 4111 1111 1111 1112',
  'On 2024-05-17 at 10:30:45',
];

/** Chat and text records with repeats that differ in case, spacing and Unicode form, and personal data in some. */
function records(count: number): DatasetRecord[] {
  const next = random(99);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const sentence = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const out: DatasetRecord[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next();
    if (roll < 0.15 && out.length) {
      const earlier = JSON.stringify(pick(out));
      out.push(JSON.parse(next() < 0.5 ? earlier.toUpperCase().replace('"ROLE":"SYSTEM"', '"role":"system"').replace(/"ROLE":"USER"/g, '"role":"user"').replace(/"ROLE":"ASSISTANT"/g, '"role":"assistant"').replace(/"(MESSAGES|CONTENT|TEXT)"/g, (k) => k.toLowerCase()) : earlier.replace(/ /g, '   ')));
      continue;
    }
    const answer = `${sentence(8 + Math.floor(next() * 20))}${roll < 0.4 ? ` reach ${pick(PERSONAL)} today` : ''}`;
    out.push(
      roll < 0.7
        ? { messages: [{ role: 'system', content: 'You are a support assistant.' }, { role: 'user', content: sentence(5) }, { role: 'assistant', content: answer }] }
        : { text: answer },
    );
  }
  return out;
}

/**
 * Exact deduplication and PII redaction must give the same records, byte for byte, whatever is done to make
 * them faster: the digests below were taken from the implementation before the near-dedup rework.
 */
describe('exact dedup and PII redaction results', () => {
  const input = records(3000);

  it('keeps and rewrites exactly the same records as before', async () => {
    const pipeline = createCleaningPipeline([createExactDedupPass(), createPiiRedactionPass({ mode: 'mask' })]);
    const kept: DatasetRecord[] = [];
    for await (const record of pipeline.run(input)) kept.push(record);
    const digest = createHash('sha256').update(JSON.stringify(kept)).digest('hex');
    expect(kept).toHaveLength(2572);
    expect(pipeline.recipe().map(({ pass, before, after, details }) => ({ pass, before, after, details }))).toEqual([
      { pass: 'exact-dedup', before: 3000, after: 2572, details: undefined },
      { pass: 'pii-redaction', before: 2572, after: 2572, details: { recordsChanged: 580, email: 73, phone: 138, credit_card: 68, iban: 81, ip_address: 145, secret: 75 } },
    ]);
    expect(digest).toBe('17163146e26e5e597da5237fc18b8dfba80752779c0527e0130b5fac81770323');
  });

  it('gives the same content hashes as before', () => {
    const digest = createHash('sha256').update(input.map(contentHash).join(',')).digest('hex');
    expect(digest).toBe('a659083db0ee59800845114cf3c3b2a547fb61737fd3010bb4e17d20469a3b47');
  });
});
