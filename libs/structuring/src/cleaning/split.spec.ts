import { createStatsCollector } from './dataset-stats';
import { assignSplit, unitHash } from './split';

describe('assignSplit', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `rec_${i}`);

  it('splits by the ratios asked for', () => {
    const counts = { train: 0, validation: 0, test: 0 };
    for (const id of ids) counts[assignSplit(id, { seed: 42, validation: 0.1, test: 0.05 })]++;
    expect(counts.validation / ids.length).toBeCloseTo(0.1, 1);
    expect(counts.test / ids.length).toBeCloseTo(0.05, 1);
    expect(counts.train + counts.validation + counts.test).toBe(ids.length);
  });

  it('puts a record on the same side whatever else the version holds, and a new seed reshuffles', () => {
    const before = new Map(ids.map((id) => [id, assignSplit(id, { seed: 'v', validation: 0.2 })]));
    const later = [...ids.slice(5000), 'rec_new_1', 'rec_new_2'].reverse();
    for (const id of later) if (before.has(id)) expect(assignSplit(id, { seed: 'v', validation: 0.2 })).toBe(before.get(id));
    const reseeded = ids.filter((id) => assignSplit(id, { seed: 'w', validation: 0.2 }) !== before.get(id));
    expect(reseeded.length).toBeGreaterThan(4000);
  });

  it('refuses ratios that leave nothing for training', () => {
    expect(() => assignSplit('x', { seed: 1, validation: 0.6, test: 0.4 })).toThrow('leave some for train');
  });

  it('hashes into [0, 1)', () => {
    const values = ids.slice(0, 1000).map(unitHash);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });
});

describe('createStatsCollector', () => {
  it('counts examples and tokens per split and a token length histogram', () => {
    const stats = createStatsCollector([100, 1000]);
    stats.add('train', 50);
    stats.add('train', 100);
    stats.add('validation', 5000);
    expect(stats.result()).toEqual({
      examples: 3,
      tokens: 5150,
      histogram: [
        { min: 0, max: 100, examples: 1 },
        { min: 100, max: 1000, examples: 1 },
        { min: 1000, max: null, examples: 1 },
      ],
      splits: {
        train: { examples: 2, tokens: 150, maxTokens: 100, histogram: [{ min: 0, max: 100, examples: 1 }, { min: 100, max: 1000, examples: 1 }, { min: 1000, max: null, examples: 0 }] },
        validation: { examples: 1, tokens: 5000, maxTokens: 5000, histogram: [{ min: 0, max: 100, examples: 0 }, { min: 100, max: 1000, examples: 0 }, { min: 1000, max: null, examples: 1 }] },
      },
    });
  });
});
