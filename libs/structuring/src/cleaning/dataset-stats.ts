import type { Split } from './split';

/** Token-length buckets: powers of two from 64 up to 32k, then everything above. */
export const TOKEN_BUCKETS = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768] as const;

export interface HistogramBucket {
  /** Inclusive lower bound and exclusive upper bound in tokens; `max` null for the last, open bucket. */
  min: number;
  max: number | null;
  examples: number;
}

export interface SplitStats {
  examples: number;
  tokens: number;
  maxTokens: number;
  histogram: HistogramBucket[];
}

export interface DatasetStats {
  examples: number;
  tokens: number;
  splits: Partial<Record<Split, SplitStats>>;
  histogram: HistogramBucket[];
}

function emptyHistogram(bounds: readonly number[]): HistogramBucket[] {
  return [...bounds, null].map((max, i) => ({ min: i === 0 ? 0 : bounds[i - 1], max, examples: 0 }));
}

export interface StatsCollector {
  add(split: Split, tokens: number): void;
  result(): DatasetStats;
}

/** Examples and tokens per split and a histogram of example lengths, from a stream of (split, tokens). */
export function createStatsCollector(bounds: readonly number[] = TOKEN_BUCKETS): StatsCollector {
  const total = { examples: 0, tokens: 0, histogram: emptyHistogram(bounds) };
  const splits: Partial<Record<Split, SplitStats>> = {};
  const bucketOf = (tokens: number) => {
    let i = 0;
    while (i < bounds.length && tokens >= bounds[i]) i++;
    return i;
  };
  return {
    add(split, tokens) {
      const stats = (splits[split] ??= { examples: 0, tokens: 0, maxTokens: 0, histogram: emptyHistogram(bounds) });
      const bucket = bucketOf(tokens);
      stats.examples++;
      stats.tokens += tokens;
      stats.maxTokens = Math.max(stats.maxTokens, tokens);
      stats.histogram[bucket].examples++;
      total.examples++;
      total.tokens += tokens;
      total.histogram[bucket].examples++;
    },
    result() {
      const copy = (h: HistogramBucket[]) => h.map((b) => ({ ...b }));
      return {
        examples: total.examples,
        tokens: total.tokens,
        histogram: copy(total.histogram),
        splits: Object.fromEntries(Object.entries(splits).map(([k, s]) => [k, { ...s, histogram: copy(s.histogram) }])),
      };
    },
  };
}
