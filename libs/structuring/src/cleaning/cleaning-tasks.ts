import type { DatasetRecord } from '../records/record';
import { createMinHasher, type MinHashOptions } from './minhash';
import type { SignedText } from './near-dedup';
import { contentHash, normalizedText } from './normalize';
import { PII_KINDS, redactRecord, type PiiKind, type RedactOptions } from './pii';

/**
 * The per-record work of the cleaning passes, by name, so that a thread can
 * be asked for it in a message: each depends on the record and its options
 * alone, and gives what the pass would have computed itself.
 */
export type CleaningTask =
  | { name: 'content-hash'; options: Record<string, never> }
  | { name: 'minhash'; options: MinHashOptions }
  | { name: 'pii-redaction'; options: RedactOptions };
export type CleaningTaskName = CleaningTask['name'];

function taskFunction(task: CleaningTask): (record: DatasetRecord) => unknown {
  switch (task.name) {
    case 'content-hash':
      return contentHash;
    case 'minhash': {
      const hasher = createMinHasher(task.options);
      return (record): SignedText => {
        const text = normalizedText(record);
        return { text, signature: hasher.signature(text) };
      };
    }
    case 'pii-redaction': {
      const kinds: ReadonlySet<PiiKind> = new Set(task.options.kinds ?? PII_KINDS);
      return (record) => redactRecord(record, task.options, kinds);
    }
  }
}

/**
 * Runs tasks over a batch: one array of results per task, in record order.
 * Task functions are made once per distinct task and kept (a MinHash hasher
 * holds its scratch arrays).
 */
export function createCleaningTaskRunner() {
  const made = new Map<string, (record: DatasetRecord) => unknown>();
  return (records: DatasetRecord[], tasks: CleaningTask[]): unknown[][] =>
    tasks.map((task) => {
      const key = JSON.stringify(task);
      let run = made.get(key);
      if (!run) made.set(key, (run = taskFunction(task)));
      return records.map(run);
    });
}
