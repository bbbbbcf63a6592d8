import type { DatasetRecord } from '../records/record';

/** What one cleaning pass did, as recorded in a dataset version's recipe. */
export interface RecipeStep {
  pass: string;
  params: Record<string, unknown>;
  /** Records that entered the pass. */
  before: number;
  /** Records that left it. */
  after: number;
  /** Pass-specific counts, e.g. redactions per kind of personal data. */
  details?: Record<string, number>;
}

/**
 * One step over a stream of records: it keeps, rewrites or drops each record
 * as it comes, so passes chain without holding the dataset.
 */
export interface CleaningPass {
  readonly name: string;
  apply(record: DatasetRecord): DatasetRecord | null;
  step(): RecipeStep;
}

/** Counts records in and out around a keep/rewrite/drop function. */
export function countingPass(name: string, params: Record<string, unknown>, apply: (record: DatasetRecord) => DatasetRecord | null, details?: () => Record<string, number>): CleaningPass {
  let before = 0;
  let after = 0;
  return {
    name,
    apply(record) {
      before++;
      const out = apply(record);
      if (out) after++;
      return out;
    },
    step() {
      const extra = details?.();
      return extra ? { pass: name, params, before, after, details: extra } : { pass: name, params, before, after };
    },
  };
}

export interface CleaningPipeline {
  /** The record after every pass, or null when a pass dropped it. */
  apply(record: DatasetRecord): DatasetRecord | null;
  /** Runs the passes over a stream, yielding the records that survive. */
  run(records: AsyncIterable<DatasetRecord> | Iterable<DatasetRecord>): AsyncGenerator<DatasetRecord>;
  recipe(): RecipeStep[];
}

/** Chains passes in order: a record dropped by one never reaches the next, so each step's `before` is the previous step's `after`. */
export function createCleaningPipeline(passes: CleaningPass[]): CleaningPipeline {
  const apply = (record: DatasetRecord) => {
    let current: DatasetRecord | null = record;
    for (const pass of passes) {
      current = pass.apply(current);
      if (!current) return null;
    }
    return current;
  };
  return {
    apply,
    async *run(records) {
      for await (const record of records) {
        const out = apply(record);
        if (out) yield out;
      }
    },
    recipe: () => passes.map((pass) => pass.step()),
  };
}
