import type { DatasetRecord } from '../records/record';
import type { CleaningTask, CleaningTaskName } from './cleaning-tasks';
import type { CleaningThreads } from './cleaning-threads';

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
 * The part of a pass that depends on each record alone (a hash, a
 * signature, the findings in its text): a pipeline with cleaning threads has
 * it computed there for a batch ahead of `apply`, which takes the result
 * instead of computing it. A record without a result (no threads, or one
 * rewritten by an earlier pass) is computed by `apply` as usual.
 */
export interface PreparedWork<T = unknown> {
  readonly task: CleaningTask;
  /** Keeps the result for one record until `apply` sees it. */
  accept(record: DatasetRecord, result: T): void;
}

/**
 * One step over a stream of records: it keeps, rewrites or drops each record
 * as it comes, so passes chain without holding the dataset.
 */
export interface CleaningPass {
  readonly name: string;
  apply(record: DatasetRecord): DatasetRecord | null;
  step(): RecipeStep;
  readonly prepared?: PreparedWork;
}

/**
 * A prepared result per record, taken once: `apply` consumes it, so the
 * cache never holds more than the batches in flight.
 */
export function preparedResults<T>(task: CleaningTaskName, options: CleaningTask['options']): PreparedWork<T> & { take(record: DatasetRecord): { value: T } | undefined } {
  const results = new WeakMap<DatasetRecord, { value: T }>();
  return {
    task: { name: task, options } as CleaningTask,
    accept: (record, value) => void results.set(record, { value }),
    take(record) {
      const found = results.get(record);
      if (found) results.delete(record);
      return found;
    },
  };
}

/** Counts records in and out around a keep/rewrite/drop function. */
export function countingPass(
  name: string,
  params: Record<string, unknown>,
  apply: (record: DatasetRecord) => DatasetRecord | null,
  details?: () => Record<string, number>,
  prepared?: PreparedWork,
): CleaningPass {
  let before = 0;
  let after = 0;
  return {
    name,
    prepared,
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

/** What the passes made of one item: its record after every pass, or null and the pass that dropped it. */
export interface CleaningOutcome<T> {
  item: T;
  record: DatasetRecord | null;
  droppedBy: string | null;
}

export interface CleaningRunOptions {
  /** Threads that compute the passes' prepared work ahead of them; without, everything runs on the calling thread. */
  threads?: CleaningThreads;
  /** Records per message to a thread. */
  batchSize?: number;
}

export interface CleaningPipeline {
  /** The record after every pass, or null when a pass dropped it. */
  apply(record: DatasetRecord): DatasetRecord | null;
  /** Runs the passes over a stream, yielding the records that survive. */
  run(records: AsyncIterable<DatasetRecord> | Iterable<DatasetRecord>, options?: CleaningRunOptions): AsyncGenerator<DatasetRecord>;
  /** Runs the passes over a stream of items that hold records, yielding every item's outcome in input order. */
  outcomes<T>(items: AsyncIterable<T> | Iterable<T>, recordOf: (item: T) => DatasetRecord, options?: CleaningRunOptions): AsyncGenerator<CleaningOutcome<T>>;
  recipe(): RecipeStep[];
}

export const CLEANING_BATCH_SIZE = 256;

/**
 * Chains passes in order: a record dropped by one never reaches the next, so
 * each step's `before` is the previous step's `after`.
 *
 * With threads, the items are cut into batches whose prepared work (for every
 * pass at once, on the records as they came in) runs on the threads while
 * the calling thread applies the passes to earlier batches, in input order:
 * decisions that depend on earlier records (seen hashes, the near-duplicate
 * index) stay on one thread and come out exactly as without threads.
 */
export function createCleaningPipeline(passes: CleaningPass[]): CleaningPipeline {
  const outcomeOf = <T>(item: T, record: DatasetRecord): CleaningOutcome<T> => {
    let current = record;
    for (const pass of passes) {
      const out = pass.apply(current);
      if (!out) return { item, record: null, droppedBy: pass.name };
      current = out;
    }
    return { item, record: current, droppedBy: null };
  };
  const apply = (record: DatasetRecord) => outcomeOf(record, record).record;
  const work = passes.flatMap((pass) => (pass.prepared ? [pass.prepared] : []));

  async function* outcomes<T>(items: AsyncIterable<T> | Iterable<T>, recordOf: (item: T) => DatasetRecord, { threads, batchSize = CLEANING_BATCH_SIZE }: CleaningRunOptions = {}) {
    if (!threads || work.length === 0) {
      for await (const item of items) yield outcomeOf(item, recordOf(item));
      return;
    }
    const tasks = work.map((w) => w.task);
    const inFlight: Array<{ items: T[]; records: DatasetRecord[]; results: Promise<unknown[][]> }> = [];
    const send = (batch: T[]) => {
      const records = batch.map(recordOf);
      const results = threads.prepare(records, tasks);
      // Awaited in order below; until then a failure must not count as unhandled.
      results.catch(() => undefined);
      inFlight.push({ items: batch, records, results });
    };
    async function* finishOldest() {
      const { items: batch, records, results } = inFlight.shift()!;
      const prepared = await results;
      for (let t = 0; t < work.length; t++) for (let i = 0; i < records.length; i++) work[t].accept(records[i], prepared[t][i]);
      for (let i = 0; i < batch.length; i++) yield outcomeOf(batch[i], records[i]);
    }
    let batch: T[] = [];
    for await (const item of items) {
      batch.push(item);
      if (batch.length < batchSize) continue;
      send(batch);
      batch = [];
      // Enough batches ahead to keep every thread busy while this one applies the passes.
      if (inFlight.length > threads.size * 2) yield* finishOldest();
    }
    if (batch.length) send(batch);
    while (inFlight.length) yield* finishOldest();
  }

  return {
    apply,
    async *run(records, options) {
      for await (const outcome of outcomes(records, (record) => record, options)) if (outcome.record) yield outcome.record;
    },
    outcomes,
    recipe: () => passes.map((pass) => pass.step()),
  };
}
