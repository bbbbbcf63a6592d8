import {
  SYSTEM,
  type Caller,
  type CleaningBody,
  type CreateDatasetBody,
  type DatasetRecordBody,
  type DatasetSplit,
  type ExportVersionQuery,
  type FreezeVersionBody,
  type ListDatasetRecordsQuery,
  type Member,
  type MemberRole,
  type ReviewDatasetBody,
  type UpdateDatasetRecordBody,
  type UploadDatasetQuery,
} from '@llmp/contracts';
import { conflict, invalid, newId, notFound, unprocessable, type Logger } from '@llmp/core';
import { createCleaningPipeline, type CleaningPass } from '../cleaning/cleaning-pass';
import { defaultCleaningThreads, startCleaningThreads } from '../cleaning/cleaning-threads';
import { createStatsCollector } from '../cleaning/dataset-stats';
import { createExactDedupPass } from '../cleaning/exact-dedup';
import { createLengthFilterPass } from '../cleaning/length-filter';
import { createNearDedupPass } from '../cleaning/near-dedup';
import { createPiiRedactionPass } from '../cleaning/pii';
import { assignSplit, type Split } from '../cleaning/split';
import { readDatasetBatches, DEFAULT_MAX_LINE_BYTES } from '../records/dataset-reader';
import { writeDataset, type ExportFormat } from '../records/dataset-writers';
import { parseRecord } from '../records/formats';
import { describeIssue, type DatasetRecord } from '../records/record';
import type { ByteSource } from '../records/segments';
import { recordIssues } from '../validation/record-checks';
import { createDatasetValidator, DEFAULT_MAX_ERRORS, type ValidationReport } from '../validation/dataset-validator';
import { createTokenCounter, type TokenCounter } from '../validation/tokenizer';
import { type Dataset, type DatasetVersion, type FrozenRecord, type NewRecord, type RecordStatus, type StoredRecord } from './dataset';
import { requireDataset } from './dataset-access';
import type { StructuringStores } from './stores';

export interface DatasetLimits {
  /** A line (or JSON array element) larger than this is rejected; the rest of the file is kept. */
  maxLineBytes: number;
  /** Errors listed per upload; all are counted. */
  maxErrors: number;
}

export const DEFAULT_DATASET_LIMITS: DatasetLimits = { maxLineBytes: DEFAULT_MAX_LINE_BYTES, maxErrors: DEFAULT_MAX_ERRORS };

export interface DatasetsServiceDeps {
  stores: StructuringStores;
  log: Logger;
  tokenizer?: TokenCounter;
  limits?: Partial<DatasetLimits>;
  /**
   * Worker threads that compute the cleaning passes' per-record work (hashes,
   * MinHash signatures, PII findings) while the records are read and decided
   * in order; 0 cleans on the calling thread only. Default: one fewer than
   * the cores, at least one.
   */
  cleaningThreads?: number;
}

/** Below this many records, starting cleaning threads costs more than it saves. */
export const THREADED_CLEAN_MIN_RECORDS = 5_000;

export interface UploadInput {
  content: ByteSource;
  filename: string | null;
  options: UploadDatasetQuery;
}

export interface UploadReport {
  uploadId: string;
  filename: string | null;
  /** True when the file was only checked. */
  dryRun: boolean;
  valid: number;
  stored: number;
  rejected: number;
  errorCount: number;
  /** The first errors as one line each: `line 17: messages[2].role must be one of system, user, assistant`. */
  errors: string[];
  /** The same errors as fields, for a table by line (`path` is empty when the whole line is at fault). */
  issues: Array<{ line: number; path: string; message: string }>;
  warningCount: number;
  warnings: string[];
  formats: ValidationReport['formats'];
  tokens: ValidationReport['tokens'];
  /** How tokens were counted: the encoding, whether it only estimates the model's own, and the context length warned about. */
  tokenizer: ValidationReport['tokenizer'] & { contextLength: number };
}

/** Records stored per statement while a file streams in. */
const UPLOAD_BATCH = 500;

const EXPORT_FORMATS: Record<ExportVersionQuery['format'], ExportFormat> = {
  'openai-chat': 'openai-chat-jsonl',
  alpaca: 'alpaca-json',
  sharegpt: 'sharegpt-json',
  text: 'text-jsonl',
};

const versionNotFound = (id: string) => notFound({ code: 'dataset_version_not_found', message: `dataset version ${id} does not exist` });
const recordNotFound = (id: string) => notFound({ code: 'dataset_record_not_found', message: `record ${id} does not exist in this dataset` });
const now = () => new Date().toISOString();

export type DatasetsService = ReturnType<typeof createDatasetsService>;

/**
 * Datasets from uploads and knowledge bases: records are validated on the
 * way in, cleaned and reviewed in place, and frozen into immutable versions
 * that training reads by id.
 */
export function createDatasetsService({ stores, log, tokenizer = createTokenCounter(), limits: given = {}, cleaningThreads = defaultCleaningThreads() }: DatasetsServiceDeps) {
  const limits: DatasetLimits = { ...DEFAULT_DATASET_LIMITS, ...given };
  const { datasets, records, versions } = stores;

  const versionFor = async (versionId: string, caller: Caller, action: string) => {
    const version = await versions.get(versionId);
    if (!version) throw versionNotFound(versionId);
    await requireDataset(datasets, version.datasetId, caller, 'read', { action, missing: () => versionNotFound(versionId) });
    return version;
  };

  return {
    limits,
    tokenizer,

    async create(body: CreateDatasetBody, caller: Caller): Promise<Dataset> {
      const ownerId = caller === SYSTEM ? null : caller.userId;
      return datasets.insert({ id: newId('ds'), name: body.name, description: body.description, ownerId, visibility: body.visibility });
    },

    list: (caller: Caller) => datasets.list(caller),

    get: (id: string, caller: Caller) => requireDataset(datasets, id, caller, 'read', { action: 'read this dataset' }),

    async delete(id: string, caller: Caller): Promise<void> {
      await requireDataset(datasets, id, caller, 'administer', { action: 'delete this dataset' });
      const outcome = await datasets.deleteUnlessHeld(id);
      if (outcome === 'held') {
        throw conflict({ code: 'dataset_held', message: `dataset ${id} has a version held by a consumer (a training job); release its holds first` });
      }
    },

    /** Who besides its owner may read (viewer) or also change (editor) the dataset. */
    async members(id: string, caller: Caller): Promise<{ data: Member[] }> {
      await requireDataset(datasets, id, caller, 'read', { action: 'read this dataset' });
      return { data: await datasets.listMembers(id) };
    },

    /** Adds a member or changes their role; the owner needs no membership. */
    async setMember(id: string, userId: string, role: MemberRole, caller: Caller): Promise<Member> {
      const dataset = await requireDataset(datasets, id, caller, 'administer', { action: 'change the members of this dataset' });
      if (userId === dataset.ownerId) throw invalid({ code: 'owner_is_not_a_member', message: `params.userId: ${userId} owns dataset ${id} already` });
      return datasets.setMember(id, userId, role, caller === SYSTEM ? null : caller.userId);
    },

    async removeMember(id: string, userId: string, caller: Caller): Promise<void> {
      await requireDataset(datasets, id, caller, 'administer', { action: 'change the members of this dataset' });
      if (!(await datasets.removeMember(id, userId))) throw notFound({ code: 'member_not_found', message: `${userId} is not a member of dataset ${id}` });
    },

    /**
     * Streams a file in, validating every line: the good records are stored
     * in one transaction (all or none if the stream breaks), the bad lines
     * are reported with their line number and path.
     */
    async upload(id: string, { content, filename, options }: UploadInput, caller: Caller): Promise<UploadReport> {
      await requireDataset(datasets, id, caller, 'write', { action: 'upload to this dataset' });
      const uploadId = newId('upl');
      const counter = options.model || options.contextLength ? createTokenCounter({ model: options.model, contextLength: options.contextLength }) : tokenizer;
      const validator = createDatasetValidator({ tokenizer: counter, maxErrors: limits.maxErrors });
      const reading = readDatasetBatches(content, { fileType: options.fileType, format: options.format, maxLineBytes: limits.maxLineBytes });
      let stored = 0;
      const check = async () => {
        for await (const results of reading) for (const result of results) validator.check(result);
      };
      const store = () =>
        stores.transaction(async (tx) => {
          let batch: NewRecord[] = [];
          const flush = async () => {
            await tx.records.insertMany(batch);
            stored += batch.length;
            batch = [];
          };
          for await (const results of reading) {
            for (const result of results) {
              const valid = validator.check(result);
              if (!valid) continue;
              batch.push({ id: newId('rec'), datasetId: id, record: valid.record, tokens: valid.tokens, source: { type: 'upload', uploadId, filename, line: valid.line } });
              if (batch.length >= UPLOAD_BATCH) await flush();
            }
          }
          await flush();
          if (stored === 0) return;
          const source = { type: 'upload' as const, uploadId, filename, fileType: options.fileType, stored, rejected: validator.report().invalid, at: now() };
          await tx.datasets.appendToRecipe(id, { sources: [source] });
        });
      await (options.dryRun ? check() : store());
      const report = validator.report();
      const result: UploadReport = {
        uploadId,
        filename,
        dryRun: options.dryRun,
        valid: report.valid,
        stored,
        rejected: report.invalid,
        errorCount: report.errorCount,
        errors: report.errors.map((e) => describeIssue(e.line, e)),
        issues: report.errors.map(({ line, path, message }) => ({ line, path, message })),
        warningCount: report.warningCount,
        warnings: report.warnings.map((w) => describeIssue(w.line, w)),
        formats: report.formats,
        tokens: report.tokens,
        tokenizer: { ...report.tokenizer, contextLength: report.contextLength },
      };
      log.info({ datasetId: id, uploadId, stored, rejected: report.invalid }, 'dataset upload stored');
      if (stored === 0 && !options.dryRun) {
        const first = result.errors[0] ?? 'the file holds no records';
        throw unprocessable({ code: 'no_valid_records', message: `no record of the file could be stored: ${first}`, details: result });
      }
      return result;
    },

    async records(id: string, query: ListDatasetRecordsQuery, caller: Caller): Promise<{ data: StoredRecord[]; next: string | null }> {
      await requireDataset(datasets, id, caller, 'read', { action: 'read this dataset' });
      const data = await records.page(id, query);
      return { data, next: data.length === query.limit ? data[data.length - 1].id : null };
    },

    /** A reviewer edits a record (in any record format; it is checked like an uploaded line) or sets its status. */
    async updateRecord(id: string, recordId: string, change: UpdateDatasetRecordBody, caller: Caller): Promise<StoredRecord> {
      await requireDataset(datasets, id, caller, 'write', { action: 'review records of this dataset' });
      const current = await records.get(recordId);
      if (!current || current.datasetId !== id) throw recordNotFound(recordId);
      let record: DatasetRecord | undefined;
      if (change.record) {
        const parsed = parseRecord(change.record);
        const issues = 'errors' in parsed ? parsed.errors : recordIssues(parsed.record, parsed.format);
        if ('errors' in parsed || issues.length) {
          throw invalid({ code: 'invalid_record', message: issues.map((i) => `record${i.path ? `.${i.path}` : ''} ${i.message}`).join('; '), details: issues });
        }
        record = parsed.record;
      }
      const reason = change.status === undefined ? undefined : change.status === 'rejected' ? (change.reason ?? 'rejected in review') : null;
      const updated = await records.update(recordId, { record, tokens: record ? tokenizer.countRecord(record) : undefined, status: change.status, reason });
      return updated!;
    },

    async review(id: string, { status, ids, from }: ReviewDatasetBody, caller: Caller): Promise<{ updated: number }> {
      await requireDataset(datasets, id, caller, 'write', { action: 'review records of this dataset' });
      return { updated: await records.setStatus(id, status, ids ? { ids, from } : { from: from ?? 'pending' }) };
    },

    /**
     * Runs the chosen passes, in the order exact dedup, near dedup, PII,
     * length, over every record not rejected: dropped records are rejected
     * with the pass as reason, rewritten ones updated, each pass recorded in
     * the draft recipe with its counts. All or nothing. `threads` says how
     * many worker threads helped (0: the calling thread alone).
     */
    async clean(id: string, body: CleaningBody, caller: Caller) {
      const dataset = await requireDataset(datasets, id, caller, 'write', { action: 'clean this dataset' });
      const passes: CleaningPass[] = [];
      if (body.exactDedup) passes.push(createExactDedupPass());
      if (body.nearDedup) {
        try {
          passes.push(createNearDedupPass(body.nearDedup));
        } catch (error) {
          throw invalid({ code: 'invalid_cleaning', message: `nearDedup: ${(error as Error).message}` });
        }
      }
      if (body.pii) passes.push(createPiiRedactionPass({ mode: body.pii.mode, kinds: body.pii.kinds }));
      if (body.length) passes.push(createLengthFilterPass({ ...body.length, countTokens: (r) => tokenizer.countRecord(r) }));
      const pipeline = createCleaningPipeline(passes);
      const many = dataset.records.pending + dataset.records.accepted >= THREADED_CLEAN_MIN_RECORDS;
      const threads = cleaningThreads > 0 && many ? await startCleaningThreads(cleaningThreads) : undefined;
      try {
        return await stores.transaction(async (tx) => {
          let rejected: Array<{ id: string; reason: string }> = [];
          let rewritten: Array<{ id: string; record: DatasetRecord; tokens: number }> = [];
          const flush = async () => {
            for (const reason of new Set(rejected.map((r) => r.reason))) await tx.records.reject(rejected.filter((r) => r.reason === reason).map((r) => r.id), `cleaning: ${reason}`);
            await tx.records.rewrite(rewritten);
            rejected = [];
            rewritten = [];
          };
          const outcomes = pipeline.outcomes(tx.records.each(id, ['pending', 'accepted']), (stored) => stored.record, { threads });
          for await (const { item: stored, record, droppedBy } of outcomes) {
            if (droppedBy) rejected.push({ id: stored.id, reason: droppedBy });
            else if (record && record !== stored.record) rewritten.push({ id: stored.id, record, tokens: tokenizer.countRecord(record) });
            if (rejected.length + rewritten.length >= 500) await flush();
          }
          await flush();
          const at = now();
          const steps = pipeline.recipe().map((step) => ({ ...step, at }));
          await tx.datasets.appendToRecipe(id, { steps });
          // How the work was spread, for whoever tunes LLMP_DATASET_CLEANING_THREADS: not part of the recipe.
          return { steps, threads: threads?.size ?? 0 };
        });
      } finally {
        await threads?.close();
      }
    },

    /**
     * Freezes the chosen records into a new immutable version: each is
     * checked again, given its split from its id and the seed, and copied,
     * so later edits never change the version.
     */
    async freeze(id: string, body: FreezeVersionBody, caller: Caller): Promise<DatasetVersion> {
      await requireDataset(datasets, id, caller, 'write', { action: 'freeze a version of this dataset' });
      const statuses: RecordStatus[] = body.from === 'accepted' ? ['accepted'] : ['pending', 'accepted'];
      const split = { seed: body.seed, validation: body.validation, test: body.test };
      return stores.transaction(async (tx) => {
        const stats = createStatsCollector();
        const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
        const kinds = new Set<string>();
        const problems: string[] = [];
        let problemCount = 0;
        for await (const stored of tx.records.each(id, statuses)) {
          const issues = recordIssues(stored.record);
          if (issues.length) {
            problemCount++;
            if (problems.length < limits.maxErrors) problems.push(`record ${stored.id}: ${issues.map((i) => `${i.path ? `${i.path} ` : ''}${i.message}`).join('; ')}`);
            continue;
          }
          kinds.add(stored.kind);
          const side = assignSplit(stored.id, split);
          counts[side]++;
          stats.add(side, stored.tokens);
        }
        if (problemCount) throw unprocessable({ code: 'invalid_records', message: `${problemCount} record${problemCount === 1 ? ' is' : 's are'} invalid: ${problems[0]}`, details: { problemCount, problems } });
        if (kinds.size > 1) throw unprocessable({ code: 'mixed_records', message: 'a version holds one kind of record: the selection mixes conversations and plain text; reject one kind first' });
        const examples = counts.train + counts.validation + counts.test;
        if (examples < body.minExamples) {
          throw unprocessable({
            code: 'too_few_examples',
            message: `at least ${body.minExamples} examples are needed to freeze a version, there ${examples === 1 ? 'is' : 'are'} ${examples} ${body.from === 'accepted' ? 'accepted (accept records in review, or freeze from "not-rejected")' : 'not rejected'}`,
          });
        }
        if (counts.train === 0) throw unprocessable({ code: 'empty_train_split', message: 'no record fell on the train split: lower the validation and test shares or add records' });
        const dataset = (await tx.datasets.get(id))!;
        async function* frozen(): AsyncGenerator<FrozenRecord> {
          for await (const stored of tx.records.each(id, statuses)) {
            yield { recordId: stored.id, split: assignSplit(stored.id, split), record: stored.record, tokens: stored.tokens };
          }
        }
        const kind = kinds.has('text') ? 'text' : 'chat';
        const version = await tx.versions.create(
          { id: newId('dsv'), datasetId: id, kind, counts, split: { ...split, from: body.from }, recipe: dataset.recipe, stats: stats.result(), createdBy: caller === SYSTEM ? null : caller.userId },
          frozen(),
        );
        log.info({ datasetId: id, versionId: version.id, counts }, 'dataset version frozen');
        return version;
      });
    },

    async versions(id: string, caller: Caller): Promise<DatasetVersion[]> {
      await requireDataset(datasets, id, caller, 'read', { action: 'read this dataset' });
      return versions.listByDataset(id);
    },

    version: (versionId: string, caller: Caller) => versionFor(versionId, caller, 'read this dataset version'),

    /** The frozen records as the contract's shape (`{id, messages}` or `{id, text}`), a page at a time. */
    async versionRecords(versionId: string, split: DatasetSplit | undefined, caller: Caller): Promise<AsyncIterable<DatasetRecordBody>> {
      await versionFor(versionId, caller, 'read this dataset version');
      async function* bodies() {
        for await (const frozen of versions.records(versionId, split)) yield { id: frozen.recordId, ...frozen.record } as DatasetRecordBody;
      }
      return bodies();
    },

    /** The version written in an external format, as text chunks: never whole in memory. */
    async export(versionId: string, { format, split }: ExportVersionQuery, caller: Caller): Promise<{ version: DatasetVersion; chunks: AsyncIterable<string> }> {
      const version = await versionFor(versionId, caller, 'export this dataset version');
      if ((format === 'text') !== (version.kind === 'text')) {
        throw invalid({ code: 'format_mismatch', message: `version ${versionId} holds ${version.kind === 'text' ? 'plain text' : 'conversations'}: export it as ${version.kind === 'text' ? 'text' : 'openai-chat, alpaca or sharegpt'}` });
      }
      async function* recordsOf() {
        for await (const frozen of versions.records(versionId, split)) yield frozen.record;
      }
      return { version, chunks: writeDataset(EXPORT_FORMATS[format], recordsOf()) };
    },

    async hold(versionId: string, holder: string, caller: Caller): Promise<{ versionId: string; holder: string }> {
      await versionFor(versionId, caller, 'hold this dataset version');
      await versions.hold(versionId, holder);
      return { versionId, holder };
    },

    async release(versionId: string, holder: string, caller: Caller): Promise<void> {
      await versionFor(versionId, caller, 'release this dataset version');
      await versions.release(versionId, holder);
    },
  };
}
