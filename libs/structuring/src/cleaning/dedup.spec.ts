import { createCleaningPipeline } from './cleaning-pass';
import { createExactDedupPass } from './exact-dedup';
import { createLengthFilterPass } from './length-filter';
import {
  candidateProbability,
  chooseBands,
  createLshIndex,
  createMinHasher,
  estimateJaccard,
  jaccard,
  shingleSet,
} from './minhash';
import { createNearDedupPass, createNearDuplicateIndex, nearDedupParams } from './near-dedup';
import { contentHash, normalizeText } from './normalize';

/** Records that differ only in their numbers, as forms, logs and generated questions do. */
function templated(i: number): string {
  return `step ${i}: configure pump ${(i * 7) % 97} to ${(i * 13) % 1000} kpa, open valve ${i % 31}, then wait ${(i * 17) % 300} s before checking the pressure gauge on line ${i % 11}.`;
}

/** A deterministic pseudo-random generator, so failures reproduce. */
function random(seed: number) {
  let state = seed;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

const WORDS = 'pump valve seal bearing motor impeller flow pressure gauge filter housing shaft coupling torque install replace inspect clean drain prime check tighten loosen measure record report'.split(' ');

function sentence(next: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');
}

/** Changes `edits` random words of a text. */
function edit(text: string, edits: number, next: () => number): string {
  const words = text.split(' ');
  for (let i = 0; i < edits; i++) words[Math.floor(next() * words.length)] = `${WORDS[Math.floor(next() * WORDS.length)]}x`;
  return words.join(' ');
}

describe('normalization and exact deduplication', () => {
  it('normalizes Unicode form, case and whitespace', () => {
    expect(normalizeText('  Ｆｕｌｌ\u00a0WIDTH\n\ttext  ')).toBe('full width text');
  });

  it('drops records equal after normalization, keeping roles apart', () => {
    const pass = createExactDedupPass();
    const kept = [
      { text: 'Hello  World' },
      { text: 'hello world' },
      { text: 'HELLO WORLD!' },
      { messages: [{ role: 'user' as const, content: 'hi' }, { role: 'assistant' as const, content: 'ok' }] },
      { messages: [{ role: 'user' as const, content: 'Hi ' }, { role: 'assistant' as const, content: 'OK' }] },
      { messages: [{ role: 'assistant' as const, content: 'hi' }, { role: 'user' as const, content: 'ok' }] },
    ].filter((r) => pass.apply(r));
    expect(kept).toHaveLength(4);
    expect(pass.step()).toMatchObject({ pass: 'exact-dedup', before: 6, after: 4 });
    expect(contentHash({ text: 'A  b' })).toBe(contentHash({ text: 'a b' }));
  });
});

describe('MinHash', () => {
  const next = random(7);
  const pairs = Array.from({ length: 60 }, (_, i) => {
    const a = sentence(next, 60);
    return [a, edit(a, i % 12, next)] as const;
  });

  it.each(['one-permutation', 'classic'] as const)('estimates the exact Jaccard of character shingles closely (%s)', (method) => {
    const hasher = createMinHasher({ method });
    const errors = pairs.map(([a, b]) => Math.abs(estimateJaccard(hasher.signature(a)!, hasher.signature(b)!) - jaccard(shingleSet(a), shingleSet(b))));
    // With 128 slots the standard error is at most 0.044; the mean error is about 0.03.
    expect(errors.reduce((s, e) => s + e, 0) / errors.length).toBeLessThan(0.05);
    expect(Math.max(...errors)).toBeLessThan(0.16);
  });

  it('gives identical texts identical signatures and has none for an empty text', () => {
    const hasher = createMinHasher();
    expect(hasher.signature('short')).toEqual(hasher.signature('short'));
    expect(estimateJaccard(hasher.signature('abc')!, hasher.signature('abc')!)).toBe(1);
    expect(hasher.signature('')).toBeNull();
  });

  it('chooses 21 bands of 6 rows for 128 permutations at 0.8, making pairs at the threshold candidates 99.8% of the time', () => {
    expect(chooseBands(128, 0.8)).toEqual({ bands: 21, rows: 6 });
    expect(candidateProbability(0.8, 21, 6)).toBeCloseTo(0.998, 3);
    expect(candidateProbability(0.3, 21, 6)).toBeLessThan(0.02);
    expect(chooseBands(128, 0.8, 0.94)).toEqual({ bands: 16, rows: 8 });
    expect(nearDedupParams()).toMatchObject({
      shingles: 'characters',
      shingleSize: 5,
      permutations: 128,
      bands: 21,
      rows: 6,
      threshold: 0.8,
      sCurveMidpoint: 0.602,
      verification: 'exact Jaccard of hashed shingle sets (sorted merge)',
    });
  });

  it('keeps every layout parameter configurable', () => {
    expect(nearDedupParams({ shingleSize: 7, permutations: 256, threshold: 0.9 })).toMatchObject({ shingleSize: 7, permutations: 256, threshold: 0.9, ...chooseBands(256, 0.9) });
    expect(nearDedupParams({ bands: 16 })).toMatchObject({ bands: 16, rows: 8 });
    expect(() => nearDedupParams({ threshold: 1.5 })).toThrow('threshold');
    expect(() => nearDedupParams({ estimateMargin: -1 })).toThrow('estimateMargin');
  });

  it('finds the stored signatures that share a band, and not unrelated ones', () => {
    const hasher = createMinHasher();
    const index = createLshIndex({ permutations: 128, bands: 16, rows: 8 });
    const next = random(3);
    const texts = Array.from({ length: 3000 }, () => sentence(next, 50));
    texts.forEach((t) => index.add(hasher.signature(t)!));
    expect(index.size).toBe(3000);
    // The band table doubled several times on the way (48,000 band keys): every stored signature is still found.
    expect(texts.filter((t, id) => !index.candidates(hasher.signature(t)!).includes(id))).toEqual([]);
    const near = hasher.signature(edit(texts[1234], 1, next))!;
    expect(index.candidates(near)).toContain(1234);
    expect(index.similarity(near, 1234)).toBeGreaterThan(0.8);
    expect(index.candidates(hasher.signature(sentence(next, 50))!).length).toBeLessThan(30);
  });

  it('reads at most maxBucketScan records of a band value that templated text makes common', () => {
    const hasher = createMinHasher();
    const index = createLshIndex({ permutations: 128, bands: 21, rows: 6, maxBucketScan: 16 });
    const texts = Array.from({ length: 3000 }, (_, i) => templated(i));
    let largest = 0;
    for (const text of texts) {
      const signature = hasher.signature(text)!;
      largest = Math.max(largest, index.candidates(signature).length);
      index.add(signature);
    }
    expect(largest).toBeLessThanOrEqual(21 * 16);
    expect(index.cappedLookups).toBeGreaterThan(2500);
    // Unrelated text meets no common band value, so nothing is capped for it.
    const before = index.cappedLookups;
    index.candidates(hasher.signature(sentence(random(9), 40))!);
    expect(index.cappedLookups).toBe(before);
    expect(() => createLshIndex({ permutations: 128, bands: 21, rows: 6, maxBucketScan: 0 })).toThrow('maxBucketScan');
  });

  it('refuses bands and rows that need more permutations than there are', () => {
    expect(() => createLshIndex({ permutations: 128, bands: 20, rows: 8 })).toThrow('exceeds');
    expect(() => createMinHasher({ permutations: 0 })).toThrow('permutations');
  });
});

describe('near-duplicate deduplication', () => {
  it('drops records that nearly repeat an earlier one and keeps different ones', () => {
    const next = random(11);
    const originals = Array.from({ length: 200 }, () => sentence(next, 40));
    const copies = originals.slice(0, 50).map((t) => edit(t, 1, next));
    const pass = createNearDedupPass();
    const kept = [...originals, ...copies].map((text) => pass.apply({ text })).filter(Boolean);
    expect(kept.length).toBeGreaterThanOrEqual(200);
    expect(kept.length).toBeLessThanOrEqual(203);
    expect(pass.step()).toMatchObject({ pass: 'near-dedup', before: 250, after: kept.length, params: { threshold: 0.8, bands: 21, rows: 6, verification: 'exact Jaccard of hashed shingle sets (sorted merge)' } });
  });

  it('finds a near-duplicate of any earlier record among thousands of templated ones', () => {
    const duplicates = createNearDuplicateIndex();
    for (let i = 0; i < 3000; i++) {
      expect(duplicates.matches(templated(i), true)).toEqual([]);
      duplicates.add(templated(i));
    }
    const copies = Array.from({ length: 100 }, (_, k) => k * 30).map((i) => ({ i, copy: templated(i).replace('before checking', 'before you check') }));
    expect(Math.min(...copies.map(({ i, copy }) => jaccard(shingleSet(copy), shingleSet(templated(i)))))).toBeGreaterThan(0.8);
    expect(copies.filter(({ i, copy }) => !duplicates.matches(copy).includes(i))).toEqual([]);
  });

  it('keeps a moderately edited copy at a high threshold and drops it at a low one', () => {
    const next = random(5);
    const a = sentence(next, 40);
    const b = edit(a, 6, next);
    const exact = jaccard(shingleSet(a), shingleSet(b));
    expect(exact).toBeGreaterThan(0.45);
    expect(exact).toBeLessThan(0.8);
    const keptAt = (threshold: number) => {
      const pass = createNearDedupPass({ threshold });
      return [a, b].map((text) => pass.apply({ text })).filter(Boolean).length;
    };
    expect(keptAt(0.95)).toBe(2);
    expect(keptAt(0.3)).toBe(1);
  });
});

describe('near-duplicates confirmed by exact Jaccard', () => {
  /** Edits a copy of `base` one word at a time until its exact Jaccard with the base falls in [low, high). */
  function copyWithin(base: string, low: number, high: number, next: () => number): string | null {
    const baseShingles = shingleSet(base);
    for (let attempt = 0; attempt < 20; attempt++) {
      let copy = base;
      for (let edits = 0; edits < 40; edits++) {
        copy = edit(copy, 1, next);
        const similarity = jaccard(baseShingles, shingleSet(copy));
        if (similarity < low) break;
        if (similarity < high) return copy;
      }
    }
    return null;
  }

  /** 400 unrelated texts, then one copy of each of the first `copies` bases within the given exact Jaccard band. */
  function planted(seed: number, low: number, high: number, copies: number) {
    const next = random(seed);
    const bases = Array.from({ length: 400 }, () => sentence(next, 60));
    const near = bases.slice(0, copies).map((base) => copyWithin(base, low, high, next)!);
    expect(near.every((copy) => copy !== null)).toBe(true);
    return { bases, near };
  }

  it('drops every planted near-duplicate at J ≈ 0.82 and nothing else', () => {
    const { bases, near } = planted(21, 0.81, 0.84, 120);
    const pass = createNearDedupPass();
    const keptBases = bases.filter((text) => pass.apply({ text }));
    const keptCopies = near.filter((text) => pass.apply({ text }));
    expect(keptBases).toHaveLength(bases.length);
    expect(keptCopies).toEqual([]);
    expect(pass.step()).toMatchObject({ before: 520, after: 400 });
  });

  it('keeps every planted pair at J ≈ 0.7, even those LSH proposes as candidates', () => {
    const { bases, near } = planted(22, 0.66, 0.74, 120);
    const duplicates = createNearDuplicateIndex();
    bases.forEach((text) => duplicates.add(text));
    // Most such pairs are candidates (P ≈ 0.93 at J = 0.7 with 21 × 6): the exact check is what keeps them apart.
    const hasher = createMinHasher();
    const lsh = createLshIndex(duplicates.params);
    bases.forEach((text) => lsh.add(hasher.signature(text)!));
    const proposed = near.filter((text, i) => lsh.candidates(hasher.signature(text)!).includes(i));
    expect(proposed.length).toBeGreaterThan(80);
    expect(near.map((text) => duplicates.matches(text))).toEqual(near.map(() => []));
    const pass = createNearDedupPass();
    expect([...bases, ...near].filter((text) => pass.apply({ text }))).toHaveLength(520);
  });

  it('lists every stored text at or above the threshold, and a single one when asked', () => {
    const next = random(23);
    const base = sentence(next, 60);
    const copy = copyWithin(base, 0.85, 0.95, next)!;
    const duplicates = createNearDuplicateIndex();
    expect(duplicates.add(base)).toBe(0);
    expect(duplicates.add(sentence(next, 60))).toBe(1);
    expect(duplicates.add(base)).toBe(2);
    expect(duplicates.matches(copy).sort()).toEqual([0, 2]);
    expect(duplicates.matches(copy, true)).toHaveLength(1);
    expect(duplicates.add('')).toBeNull();
    expect(duplicates.matches('')).toEqual([]);
    expect(duplicates.size).toBe(3);
  });
});

describe('length filter and the cleaning pipeline', () => {
  it('chains passes so each step starts with what the previous one kept', async () => {
    const pipeline = createCleaningPipeline([
      createExactDedupPass(),
      createLengthFilterPass({ minChars: 3, maxTokens: 5, countTokens: (r) => ('text' in r ? r.text.split(' ').length : 0) }),
    ]);
    const kept = [];
    for await (const record of pipeline.run([{ text: 'one two' }, { text: 'One  two' }, { text: 'x' }, { text: 'a b c d e f' }, { text: 'fine text' }])) kept.push(record);
    expect(kept).toEqual([{ text: 'one two' }, { text: 'fine text' }]);
    expect(pipeline.recipe()).toEqual([
      { pass: 'exact-dedup', params: expect.any(Object), before: 5, after: 4 },
      { pass: 'length-filter', params: { minChars: 3, maxTokens: 5 }, before: 4, after: 2 },
    ]);
  });

  it('refuses token bounds without a token counter', () => {
    expect(() => createLengthFilterPass({ maxTokens: 10 })).toThrow('token counter');
  });
});

describe('normalized content of a record changed in place', () => {
  it('follows the change rather than a remembered earlier form', () => {
    const record = { text: 'First  Version' };
    const before = contentHash(record);
    record.text = 'second version';
    expect(contentHash(record)).not.toBe(before);
    expect(contentHash(record)).toBe(contentHash({ text: 'Second Version' }));
  });
});
