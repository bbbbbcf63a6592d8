/**
 * Dataset processing benchmarks (npm run bench:datasets):
 *   1. the full pass over N synthetic chat records as a JSONL byte stream: read + validate (with token
 *      counts) + exact dedup + MinHash near-dedup + PII redaction, records/s and memory peak, against a
 *      bare loop that only JSON.parses each line;
 *   2. MinHash LSH near-duplicate search on a subset with planted near-duplicates: recall and precision
 *      against exact Jaccard (the pass confirms LSH candidates by the exact Jaccard of their shingle sets; the
 *      earlier estimate-only verdict is shown for comparison), and time against a brute-force exact Jaccard over all pairs;
 *   3. PII detection precision and recall per kind on a labelled set generated here (hard negatives included).
 *      The pass runs twice: on the calling thread alone, and with cleaning threads computing the per-record work
 *      (content hashes, MinHash signatures, PII findings) ahead of the calling thread's in-order decisions.
 * Sizes: BENCH_RECORDS (100000), BENCH_SUBSET (1500), BENCH_PII (3000); BENCH_THREADS (cores − 1, at least 1);
 * BENCH_ONLY=pass|minhash|pii runs one part.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCleaningPipeline } from '../../../libs/structuring/src/cleaning/cleaning-pass';
import { defaultCleaningThreads, startCleaningThreads, type CleaningThreads } from '../../../libs/structuring/src/cleaning/cleaning-threads';
import { createExactDedupPass } from '../../../libs/structuring/src/cleaning/exact-dedup';
import { createLshIndex, createMinHasher, jaccard, shingleSet } from '../../../libs/structuring/src/cleaning/minhash';
import { createNearDedupPass, createNearDuplicateIndex, nearDedupParams } from '../../../libs/structuring/src/cleaning/near-dedup';
import { normalizeText } from '../../../libs/structuring/src/cleaning/normalize';
import { createPiiRedactionPass, findPii, PII_KINDS, type PiiKind } from '../../../libs/structuring/src/cleaning/pii';
import { readDataset, type ReadResult } from '../../../libs/structuring/src/records/dataset-reader';
import { createDatasetValidator } from '../../../libs/structuring/src/validation/dataset-validator';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RECORDS = env('BENCH_RECORDS', 100_000);
const SUBSET = env('BENCH_SUBSET', 1500);
const PII_EXAMPLES = env('BENCH_PII', 3000);
const THREADS = env('BENCH_THREADS', defaultCleaningThreads());
const ONLY = process.env['BENCH_ONLY'];
const MB = 1024 * 1024;

// A collection before measuring, so the memory peak is this pass's and not garbage left by the one before.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

type ValidRead = Extract<ReadResult, { record: unknown }>;

const progress = (message: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function random(seed: number) {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

/** A vocabulary of a few thousand made-up words with a Zipf-like draw, so texts look like prose to the tokenizer and to shingling. */
function vocabulary(next: () => number) {
  const syllables = 'ka lo mi re su ta ne vo ri pa de lu mo sa ti ge ba no fi ra'.split(' ');
  const real = (
    'the of and to a in is you that it he was for on are as with his they I at be this have from or one had by word but not what all were we when your can said there ' +
    'use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number ' +
    'no way could people my than first water been call who oil its now find long down day did get come made may part over new sound take only little work know place year ' +
    'live me back give most very after thing our just name good sentence man think say great where help through much before line right too mean old any same tell boy follow ' +
    'came want show also around form three small set put end does another well large must big even such because turn here why ask went men read need land different home us ' +
    'move try kind hand picture again change off play spell air away animal house point page letter mother answer found study still learn should world high every near add food ' +
    'between own below country plant last school father keep tree never start city earth eye light thought head under story saw left few while along might close something seem ' +
    'next hard open example begin life always those both paper together got group often run important until children side feet car mile night walk white sea began grow took ' +
    'pump valve seal motor pressure flow check install replace filter customer order account please thanks invoice refund shipping warranty support ticket'
  ).split(' ');
  const words = [...real];
  while (words.length < 5000) {
    let w = '';
    for (let s = 1 + Math.floor(next() * 3); s > 0; s--) w += syllables[Math.floor(next() * syllables.length)];
    words.push(w);
  }
  return (n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(words[Math.floor(words.length * next() ** 4)]);
    const text = out.join(' ');
    return `${text[0].toUpperCase()}${text.slice(1)}.`;
  };
}

/** Changes `edits` words of a text in place: what a paraphrase-free near-duplicate looks like. */
function mutate(text: string, edits: number, next: () => number, words: (n: number) => string): string {
  const parts = text.split(' ');
  for (let i = 0; i < edits; i++) parts[Math.floor(next() * parts.length)] = words(1).replace('.', '').toLowerCase();
  return parts.join(' ');
}

function luhnComplete(prefix: string, length: number, next: () => number): string {
  let digits = prefix;
  while (digits.length < length - 1) digits += Math.floor(next() * 10);
  for (let check = 0; check < 10; check++) {
    const candidate = digits + check;
    let sum = 0;
    for (let i = candidate.length - 1, double = false; i >= 0; i--, double = !double) {
      let d = Number(candidate[i]);
      if (double && (d *= 2) > 9) d -= 9;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

function ibanOf(country: string, bban: string): string {
  const numeric = (bban + country + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let remainder = 0;
  for (const d of numeric) remainder = (remainder * 10 + Number(d)) % 97;
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

/** Generators of labelled values per kind, in the formats people write them. */
function piiGenerators(next: () => number) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
  const letters = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  const base62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const group = (s: string, sizes: number[], sep: string) => {
    const out: string[] = [];
    let at = 0;
    for (const size of sizes) {
      out.push(s.slice(at, at + size));
      at += size;
    }
    return out.join(sep);
  };
  const positives: Record<PiiKind, () => string> = {
    email: () => `${pick(['jane', 'j.smith', 'Ops-Team', 'mark.o+news', 'li_wei', 'X'])}${digits(2)}@${pick(['example.com', 'mail.example.co.uk', 'corp.example.org', 'EXAMPLE.DE', 'sub-domain.example.travel'])}`,
    phone: () =>
      pick([
        () => `(${digits(3)}) ${digits(3)}-${digits(4)}`,
        () => `${digits(3)}-${digits(3)}-${digits(4)}`,
        () => `${digits(3)}.${digits(3)}.${digits(4)}`,
        () => `+1 ${digits(3)} ${digits(3)} ${digits(4)}`,
        () => `+44 20 ${digits(4)} ${digits(4)}`,
        () => `+49 30 ${digits(7)}`,
        () => `+33 1 ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
        () => `+4477009${digits(5)}`,
        () => `0${digits(3)} ${digits(3)} ${digits(4)}`,
      ])(),
    credit_card: () =>
      pick([
        () => group(luhnComplete('4', 16, next), [4, 4, 4, 4], pick([' ', '-', ''])),
        () => group(luhnComplete(pick(['51', '53', '55', '2221']), 16, next), [4, 4, 4, 4], pick([' ', ''])),
        () => group(luhnComplete(pick(['34', '37']), 15, next), [4, 6, 5], pick([' ', '-'])),
        () => luhnComplete('6011', 16, next),
      ])(),
    iban: () => {
      const iban = pick([
        () => ibanOf('DE', digits(18)),
        () => ibanOf('GB', letters(4) + digits(14)),
        () => ibanOf('FR', digits(23)),
        () => ibanOf('NL', letters(4) + digits(10)),
      ])();
      return next() < 0.5 ? iban : iban.replace(/(.{4})(?!$)/g, '$1 ');
    },
    ip_address: () =>
      next() < 0.6
        ? `${1 + Math.floor(next() * 223)}.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.${1 + Math.floor(next() * 254)}`
        : pick([
            () => `2001:db8:${letters(4, '0123456789abcdef')}:${letters(3, '0123456789abcdef')}::${letters(2, '0123456789abcdef')}`,
            () => Array.from({ length: 8 }, () => letters(4, '0123456789abcdef')).join(':'),
            () => `fe80::${letters(4, '0123456789abcdef')}:${letters(4, '0123456789abcdef')}`,
          ])(),
    secret: () =>
      pick([
        () => `sk-proj-${letters(40, base62)}`,
        () => `AKIA${letters(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
        () => `ghp_${letters(36, base62)}`,
        () => letters(40, base62),
        () => `xoxb-${digits(12)}-${letters(24, base62)}`,
      ])(),
  };
  /** Things that look like personal data and are not. */
  const negatives = [
    () => `${2000 + Math.floor(next() * 30)}-${digits(1)}${1 + Math.floor(next() * 8)}-1${Math.floor(next() * 9)}`,
    () => `${10 + Math.floor(next() * 13)}:${digits(1)}${digits(1)}:${digits(1)}${digits(1)}`,
    () => `$${digits(1)},${digits(3)}.${digits(2)}`,
    () => `v${digits(1)}.${digits(2)}.${digits(1)}`,
    () => `order #${digits(7)}`,
    () => `ticket ${digits(10)}`,
    () => letters(40, '0123456789abcdef'),
    () => `ISBN 978-${digits(1)}-${digits(2)}-${digits(6)}-${digits(1)}`,
    () => {
      const card = luhnComplete('4', 16, next);
      return `${card.slice(0, 15)}${(Number(card[15]) + 1) % 10}`;
    },
    () => {
      const iban = ibanOf('DE', digits(18));
      return `DE${String((Number(iban.slice(2, 4)) + 1) % 100).padStart(2, '0')}${iban.slice(4)}`;
    },
    () => `${300 + Math.floor(next() * 600)}.${digits(1)}.${digits(1)}.${digits(1)}`,
    () => `room ${digits(3)}, floor ${digits(1)}`,
    () => `src/${pick(['records', 'cleaning'])}/${pick(['dataset_reader', 'near_dedup', 'minhash_index'])}_implementation_details.ts`,
    () => `@${pick(['channel', 'here', 'ops'])}`,
    () => `${digits(2)}.${digits(2)}.${2000 + Math.floor(next() * 30)}`,
    () => `SKU ${letters(3)}-${digits(5)}`,
    () => `${letters(8, '0123456789abcdef')}-${letters(4, '0123456789abcdef')}-4${letters(3, '0123456789abcdef')}-a${letters(3, '0123456789abcdef')}-${letters(12, '0123456789abcdef')}`,
    () => Array.from({ length: 6 }, () => letters(2, '0123456789ABCDEF')).join(':'),
    () => `2024-0${1 + Math.floor(next() * 9)}-1${digits(1)}T1${digits(1)}:${digits(1)}${digits(1)}:0${digits(1)}Z`,
    () => `https://docs.example.com/guides/${pick(['installation', 'maintenance'])}/pumps-and-valves/${digits(4)}#section-${digits(1)}`,
    () => `call extension ${digits(4)}`,
    () => `serial ${digits(4)}-${digits(4)}-${digits(4)}`,
  ];
  return { positives, negatives, pick };
}

async function fullPass() {
  progress(`full pass: generating ${RECORDS} synthetic chat records (5% exact repeats, 5% near repeats, 3% with personal data)`);
  const next = random(2024);
  const words = vocabulary(next);
  const { positives, pick } = piiGenerators(next);
  const lines: string[] = [];
  const earlier: Array<[string, string]> = [];
  for (let i = 0; i < RECORDS; i++) {
    const roll = next();
    let question = words(10 + Math.floor(next() * 25));
    let answer = words(40 + Math.floor(next() * 80));
    if (roll < 0.05 && earlier.length) {
      // The same example again, differing only in case and spacing.
      [question, answer] = pick(earlier);
      question = ` ${question.toUpperCase()}`;
      answer = answer.replaceAll(' ', '  ');
    } else if (roll < 0.1 && earlier.length) {
      [question, answer] = pick(earlier);
      answer = mutate(answer, 2, next, words);
    } else if (roll < 0.13) answer += ` Contact me at ${positives[pick(PII_KINDS)]()} for details.`;
    if (earlier.length < 5000) earlier.push([question, answer]);
    lines.push(JSON.stringify({ messages: [{ role: 'system', content: 'You are a support assistant.' }, { role: 'user', content: question }, { role: 'assistant', content: answer }] }));
  }
  const bytes = Buffer.from(lines.join('\n') + '\n');
  lines.length = 0;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 64 * 1024) chunks.push(bytes.subarray(i, i + 64 * 1024));

  progress('  baseline: a bare loop that only JSON.parses each line…');
  const bare = () => {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let parsed = 0;
    for (let at = 0; at < bytes.length; ) {
      let end = bytes.indexOf(10, at);
      if (end === -1) end = bytes.length;
      if (end > at) {
        JSON.parse(bytes.toString('utf8', at, end));
        parsed++;
      }
      at = end + 1;
    }
    const cpu = process.cpuUsage(cpuStart);
    return { seconds: (performance.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, parsed };
  };
  bare();
  const baseline = bare();

  const pass = async (threads?: CleaningThreads) => {
    const validator = createDatasetValidator({ model: 'gpt-4o-mini' });
    const pipeline = createCleaningPipeline([createExactDedupPass(), createNearDedupPass(), createPiiRedactionPass({ mode: 'mask' })]);
    collectGarbage();
    const before = process.memoryUsage();
    let peakHeap = 0;
    let peakRss = 0;
    let read = 0;
    let kept = 0;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    async function* validRecords() {
      for await (const result of readDataset(chunks)) {
        read++;
        const valid = validator.check(result);
        if (valid) yield valid.record;
        if ((read & 1023) === 0) {
          const now = process.memoryUsage();
          // Signatures and hash tables live in typed arrays, outside the JS heap: count both.
          peakHeap = Math.max(peakHeap, now.heapUsed + now.external - before.heapUsed - before.external);
          peakRss = Math.max(peakRss, now.rss);
        }
      }
    }
    for await (const record of pipeline.run(validRecords(), { threads })) if (record) kept++;
    const seconds = (performance.now() - start) / 1000;
    // process.cpuUsage counts every thread of the process: the cleaning threads' work is in it.
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { seconds, cpuSeconds, read, kept, peakHeap, peakRss, report: validator.report(), recipe: pipeline.recipe() };
  };
  progress('  warm-up on the same data…');
  await pass();
  progress('  full pass on the calling thread…');
  const single = await pass();
  progress(`  starting ${THREADS} cleaning thread(s)…`);
  const threadsStarted = performance.now();
  const threads = await startCleaningThreads(THREADS);
  const threadStartMs = performance.now() - threadsStarted;
  progress('  warm-up with the threads…');
  await pass(threads);
  progress(`  full pass with ${THREADS} cleaning thread(s)…`);
  const run = await pass(threads);
  await threads.close();
  const sameOutcome = JSON.stringify(run.recipe) === JSON.stringify(single.recipe);
  const perStage = await stageTimes(chunks);
  const row = (name: string, r: typeof run) => ({
    run: name,
    records: r.read,
    'input MB': round(bytes.length / MB),
    's': round(r.seconds),
    'CPU s (user + sys, all threads)': round(r.cpuSeconds),
    'records/s': Math.round(r.read / r.seconds),
    'records/CPU-s': Math.round(r.read / r.cpuSeconds),
    'peak heap + external above start MB': round(r.peakHeap / MB),
    'peak RSS MB': round(r.peakRss / MB),
  });
  return {
    summary: [
      row('full pass, calling thread only', single),
      row(`full pass, ${THREADS} cleaning thread(s)`, run),
      { run: 'bare loop: JSON.parse only', records: baseline.parsed, 'input MB': round(bytes.length / MB), 's': round(baseline.seconds), 'CPU s (user + sys, all threads)': round(baseline.cpuSeconds), 'records/s': Math.round(baseline.parsed / baseline.seconds), 'records/CPU-s': Math.round(baseline.parsed / baseline.cpuSeconds) },
    ],
    threads: THREADS,
    threadStartMs,
    sameOutcome,
    speedUp: single.seconds / run.seconds,
    ratio: baseline.seconds / run.seconds,
    cpuRatio: baseline.cpuSeconds / run.cpuSeconds,
    recipe: run.recipe,
    report: { valid: run.report.valid, invalid: run.report.invalid, tokens: run.report.tokens.total, meanTokens: run.report.tokens.mean },
    perStage,
  };
}

/** Each stage timed alone on the same records, to show where the full pass spends its time. */
async function stageTimes(chunks: Buffer[]) {
  const records: ValidRead[] = [];
  const start = performance.now();
  for await (const result of readDataset(chunks)) if ('record' in result) records.push(result);
  const readSeconds = (performance.now() - start) / 1000;
  const validator = createDatasetValidator();
  const time = (work: () => void) => {
    const begin = performance.now();
    work();
    return (performance.now() - begin) / 1000;
  };
  const exact = createExactDedupPass();
  const near = createNearDedupPass();
  const pii = createPiiRedactionPass();
  const rows = {
    'read + parse + shape check': readSeconds,
    'validate + count tokens': time(() => records.forEach((r) => validator.check(r))),
    'exact dedup': time(() => records.forEach((r) => exact.apply(r.record))),
    'MinHash + LSH near dedup': time(() => records.forEach((r) => near.apply(r.record))),
    'PII redaction': time(() => records.forEach((r) => pii.apply(r.record))),
  };
  return Object.entries(rows).map(([stage, seconds]) => ({ stage, 's': round(seconds), 'records/s': Math.round(records.length / seconds) }));
}

async function minhashQuality() {
  progress(`MinHash: ${SUBSET} texts with planted near-duplicates; exact Jaccard over all ${(SUBSET * (SUBSET - 1)) / 2} pairs…`);
  const next = random(77);
  const words = vocabulary(next);
  const texts: string[] = [];
  while (texts.length < SUBSET) {
    const roll = next();
    if (texts.length > 10 && roll < 0.35) {
      // Near-duplicates over a spread of edit rates, so pairs fall on both sides of the threshold.
      const base = texts[Math.floor(next() * texts.length)];
      const edits = Math.max(1, Math.round(base.split(' ').length * next() * 0.12));
      texts.push(mutate(base, edits, next, words));
    } else texts.push(words(30 + Math.floor(next() * 90)));
  }
  const normalized = texts.map(normalizeText);
  const params = nearDedupParams();

  const start = performance.now();
  const sets = normalized.map((t) => shingleSet(t, params.shingleSize));
  const truth = new Set<number>();
  const similarity = new Map<number, number>();
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const s = jaccard(sets[i], sets[j]);
      if (s < params.threshold) continue;
      truth.add(i * SUBSET + j);
      similarity.set(i * SUBSET + j, s);
    }
  }
  const bruteSeconds = (performance.now() - start) / 1000;

  type Layout = { method: 'one-permutation' | 'classic'; permutations?: number; bands?: number; rows?: number; verify: 'exact' | 'estimate' };
  const lsh = ({ method, permutations = params.permutations, bands, rows, verify }: Layout) => {
    const begin = performance.now();
    const layout = nearDedupParams({ permutations, bands, rows });
    const found = new Set<number>();
    const surfaced = new Set<number>();
    if (verify === 'exact') {
      // What the near-dedup pass does: LSH candidates, an estimate prefilter, then exact Jaccard of shingle sets.
      const index = createNearDuplicateIndex({ permutations, bands, rows, method });
      for (let j = 0; j < normalized.length; j++) {
        for (const i of index.matches(normalized[j])) found.add(i * SUBSET + j);
        index.add(normalized[j]);
      }
    }
    const seconds = (performance.now() - begin) / 1000;
    // The candidates alone (and, for the estimate-only layout, its verdicts): which true pairs LSH surfaces at all.
    const hasher = createMinHasher({ ...layout, method });
    const index = createLshIndex(layout);
    for (let j = 0; j < normalized.length; j++) {
      const signature = hasher.signature(normalized[j])!;
      for (const i of index.candidates(signature)) {
        surfaced.add(i * SUBSET + j);
        if (verify === 'estimate' && index.similarity(signature, i) >= params.threshold) found.add(i * SUBSET + j);
      }
      index.add(signature);
    }
    let hits = 0;
    for (const pair of found) if (truth.has(pair)) hits++;
    let candidateHits = 0;
    for (const pair of truth) if (surfaced.has(pair)) candidateHits++;
    // Recall away from the threshold: pairs whose exact Jaccard is at least 0.85.
    const clear = [...truth].filter((pair) => similarity.get(pair)! >= params.threshold + 0.05);
    return {
      method,
      verify,
      'bands × rows': `${layout.bands} × ${layout.rows}`,
      'pairs ≥ 0.8 (exact)': truth.size,
      'LSH candidate recall': round(candidateHits / truth.size, 3),
      'pairs found': found.size,
      recall: round(hits / truth.size, 3),
      'recall (exact ≥ 0.85)': round(clear.filter((pair) => found.has(pair)).length / clear.length, 3),
      precision: round(found.size ? hits / found.size : 1, 3),
      'candidate pairs': surfaced.size,
      's (LSH)': verify === 'exact' ? round(seconds, 3) : '',
      's (brute-force exact)': round(bruteSeconds, 3),
      'speed-up': verify === 'exact' ? round(bruteSeconds / seconds, 1) : '',
    };
  };
  return {
    params,
    rows: [
      lsh({ method: 'one-permutation', verify: 'exact' }),
      lsh({ method: 'classic', verify: 'exact' }),
      lsh({ method: 'one-permutation', permutations: 256, verify: 'exact' }),
      // The earlier layout, for comparison: 16 × 8 and a verdict on the estimated Jaccard alone.
      lsh({ method: 'one-permutation', bands: 16, rows: 8, verify: 'estimate' }),
    ],
  };
}

function piiQuality() {
  progress(`PII: ${PII_EXAMPLES} generated sentences, labelled`);
  const next = random(4242);
  const words = vocabulary(next);
  const { positives, negatives, pick } = piiGenerators(next);
  const stats = Object.fromEntries(PII_KINDS.map((k) => [k, { labelled: 0, found: 0, correct: 0 }])) as Record<PiiKind, { labelled: number; found: number; correct: number }>;
  let seconds = 0;
  for (let n = 0; n < PII_EXAMPLES; n++) {
    let text = words(5 + Math.floor(next() * 10));
    const labels: Array<{ kind: PiiKind; start: number; end: number }> = [];
    const parts = 1 + Math.floor(next() * 3);
    for (let p = 0; p < parts; p++) {
      if (next() < 0.5) {
        const kind = pick(PII_KINDS);
        const value = positives[kind]();
        // Values sit in prose, in parentheses, quotes, angle brackets or after a colon, as people write them.
        const [open, close] = pick([['', ''], ['', ''], ['(', ')'], ['"', '"'], ['<', '>'], ["'", "'"], [': ', '']]);
        text += ` ${pick(['see', 'use', 'reach', 'is', 'was', 'KEY='])} ${open}`;
        labels.push({ kind, start: text.length, end: text.length + value.length });
        text += value + close;
      } else text += ` ${pick(['on', 'at', 'ref', 'with', 'about'])} ${pick(negatives)()}`;
      text += pick(['.', ',', ' and', ';', '']) + ' ' + words(3 + Math.floor(next() * 6));
    }
    const begin = performance.now();
    const found = findPii(text);
    seconds += (performance.now() - begin) / 1000;
    for (const label of labels) stats[label.kind].labelled++;
    for (const f of found) {
      stats[f.kind].found++;
      if (labels.some((l) => l.kind === f.kind && l.start === f.start && l.end === f.end)) stats[f.kind].correct++;
    }
  }
  const rows = PII_KINDS.map((kind) => ({
    kind,
    labelled: stats[kind].labelled,
    found: stats[kind].found,
    recall: round(stats[kind].correct / stats[kind].labelled, 3),
    precision: round(stats[kind].found ? stats[kind].correct / stats[kind].found : 1, 3),
  }));
  const total = Object.values(stats).reduce((a, s) => ({ labelled: a.labelled + s.labelled, found: a.found + s.found, correct: a.correct + s.correct }), { labelled: 0, found: 0, correct: 0 });
  rows.push({ kind: 'all' as PiiKind, labelled: total.labelled, found: total.found, recall: round(total.correct / total.labelled, 3), precision: round(total.correct / total.found, 3) });
  return { rows, sentencesPerSecond: Math.round(PII_EXAMPLES / seconds) };
}

async function main() {
  if (!ONLY || ONLY === 'pass') {
    const pass = await fullPass();
    console.log(`\nFull pass: read + validate (o200k_base token counts) + exact dedup + MinHash/LSH near dedup + PII redaction, ${RECORDS} chat records`);
    console.table(pass.summary);
    console.log(
      `${pass.threads} cleaning thread(s) (started in ${Math.round(pass.threadStartMs)} ms, not counted): ${round(pass.speedUp)}× the calling thread alone; ` +
        `same recipe and counts as the calling thread alone: ${pass.sameOutcome ? 'yes' : 'NO'}`,
    );
    console.log(
      `full pass with threads / JSON.parse-only loop: ${round(1 / pass.ratio, 1)}× the wall time, ${round(1 / pass.cpuRatio, 1)}× the CPU time ` +
        `(${round(pass.cpuRatio * 100, 1)}% of the bare loop's throughput per CPU-second)`,
    );
    console.table(pass.recipe.map((s) => ({ pass: s.pass, before: s.before, after: s.after, details: s.details ? JSON.stringify(s.details) : '' })));
    console.log('validation:', JSON.stringify(pass.report));
    console.log('\nEach stage alone on the same records');
    console.table(pass.perStage);
  }
  if (!ONLY || ONLY === 'minhash') {
    const minhash = await minhashQuality();
    console.log(
      `\nMinHash near-duplicates vs exact Jaccard (character ${minhash.params.shingleSize}-grams, ${minhash.params.permutations} permutations, ` +
        `${minhash.params.bands} bands × ${minhash.params.rows} rows, threshold ${minhash.params.threshold}, verified by ${minhash.params.verification})`,
    );
    console.table(minhash.rows);
    console.log(`LSH candidate search / brute-force exact Jaccard: ${minhash.rows[0]['speed-up']}× faster (one-permutation), ${minhash.rows[1]['speed-up']}× (classic)`);
  }
  if (!ONLY || ONLY === 'pii') {
    const pii = piiQuality();
    console.log('\nPII detection on the generated labelled set (a finding is correct when kind and span match a label exactly)');
    console.table(pii.rows);
    console.log(`${pii.sentencesPerSecond} sentences/s`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
