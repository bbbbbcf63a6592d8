import { z } from 'zod';

/**
 * What the datasets service promises the services that consume its frozen
 * versions (training): the one internal record shape and a version's summary.
 * Served at `GET /api/datasets/versions/{id}` and, as NDJSON, at
 * `GET /api/datasets/versions/{id}/records?split=train|validation|test`.
 */
export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
  /** OpenAI's per-message training weight: 0 excludes an assistant message from the loss. */
  weight: z.union([z.literal(0), z.literal(1)]).optional(),
});

export const datasetRecordSchema = z.union([
  z.object({ id: z.string(), messages: z.array(chatMessageSchema).min(1) }),
  z.object({ id: z.string(), text: z.string() }),
]);
export type DatasetRecordBody = z.infer<typeof datasetRecordSchema>;

export const DATASET_SPLITS = ['train', 'validation', 'test'] as const;
export const datasetSplitSchema = z.enum(DATASET_SPLITS);
export type DatasetSplit = z.infer<typeof datasetSplitSchema>;

export const datasetVersionSummarySchema = z.object({
  id: z.string(),
  datasetId: z.string(),
  /** Versions are immutable once frozen; only frozen versions can be trained on. */
  status: z.enum(['frozen']),
  /** `chat` for conversations, `text` for continued pre-training; a version holds one kind. */
  kind: z.enum(['chat', 'text']),
  counts: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
  createdAt: z.string(),
});
export type DatasetVersionSummary = z.infer<typeof datasetVersionSummarySchema>;

/**
 * A consumer that depends on a version (a training job) holds it, so the
 * dataset cannot be deleted under it: `PUT /api/datasets/versions/{id}/holds/{holder}`
 * and `DELETE` of the same path; deleting a held dataset answers 409.
 */
export const datasetHoldSchema = z.object({ holder: z.string().min(1).max(200) });

/** Requests of the datasets API (`/api/datasets`), shared by the service, the UI and the seed. */
export const createDatasetBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  visibility: z.enum(['private', 'organisation']).default('private'),
});
export type CreateDatasetBody = z.infer<typeof createDatasetBody>;

export const DATASET_RECORD_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export const datasetRecordStatusSchema = z.enum(DATASET_RECORD_STATUSES);

export const listDatasetRecordsQuery = z.object({
  status: datasetRecordStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The last id of the previous page. */
  after: z.string().max(100).optional(),
});
export type ListDatasetRecordsQuery = z.infer<typeof listDatasetRecordsQuery>;

export const uploadDatasetQuery = z.object({
  fileType: z.enum(['auto', 'jsonl', 'json', 'csv']).default('auto'),
  format: z.enum(['auto', 'openai-chat', 'alpaca', 'sharegpt', 'text']).default('auto'),
  /** The target model (`gpt-4o-mini`, `llama-3.1-8b`…): its family's tokenizer counts the tokens. */
  model: z.string().max(100).optional(),
  /** Examples longer than this many tokens are warned about (default: the model family's context). */
  contextLength: z.coerce.number().int().min(1).max(10_000_000).optional(),
  /** `true`: check every line and report, store nothing. */
  dryRun: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});
export type UploadDatasetQuery = z.infer<typeof uploadDatasetQuery>;

/** A reviewer's change to one record: its content (in any record format), its status, or both. */
export const updateDatasetRecordBody = z
  .object({
    record: z.record(z.string(), z.unknown()).optional(),
    status: datasetRecordStatusSchema.optional(),
    reason: z.string().max(500).optional(),
  })
  .refine((b) => b.record !== undefined || b.status !== undefined, { message: 'give "record", "status" or both' });
export type UpdateDatasetRecordBody = z.infer<typeof updateDatasetRecordBody>;

/** Sets the status of the named records, or of every record with status `from` (default pending). */
export const reviewDatasetBody = z.object({
  status: datasetRecordStatusSchema,
  ids: z.array(z.string().max(100)).min(1).max(10_000).optional(),
  from: datasetRecordStatusSchema.optional(),
});
export type ReviewDatasetBody = z.infer<typeof reviewDatasetBody>;

export const cleaningBody = z
  .object({
    exactDedup: z.boolean().default(false),
    nearDedup: z
      .object({
        shingleSize: z.number().int().min(1).max(50).optional(),
        permutations: z.number().int().min(8).max(1024).optional(),
        bands: z.number().int().min(1).max(1024).optional(),
        rows: z.number().int().min(1).max(1024).optional(),
        threshold: z.number().gt(0).max(1).optional(),
      })
      .optional(),
    pii: z
      .object({
        mode: z.enum(['mask', 'remove', 'hash']).default('mask'),
        kinds: z.array(z.enum(['email', 'phone', 'credit_card', 'iban', 'ip_address', 'secret'])).min(1).optional(),
      })
      .optional(),
    length: z
      .object({
        minChars: z.number().int().min(0).optional(),
        maxChars: z.number().int().min(1).optional(),
        minTokens: z.number().int().min(0).optional(),
        maxTokens: z.number().int().min(1).optional(),
      })
      .optional(),
  })
  .refine((b) => b.exactDedup || b.nearDedup || b.pii || b.length, { message: 'name at least one pass: exactDedup, nearDedup, pii or length' });
export type CleaningBody = z.infer<typeof cleaningBody>;

export const freezeVersionBody = z
  .object({
    /** `accepted`: reviewed records only; `not-rejected`: pending ones too. */
    from: z.enum(['accepted', 'not-rejected']).default('accepted'),
    validation: z.number().min(0).lt(1).default(0.1),
    test: z.number().min(0).lt(1).default(0),
    seed: z.union([z.string().max(100), z.number().int()]).default('llmp').transform(String),
    minExamples: z.number().int().min(1).max(1_000_000).default(10),
  })
  .refine((b) => b.validation + b.test < 1, { message: 'validation and test together must leave some records for train', path: ['test'] });
export type FreezeVersionBody = z.infer<typeof freezeVersionBody>;

export const buildDatasetBody = z.object({
  knowledgeBaseId: z.string().min(1).max(100),
  /** `qa`: question/answer conversations from each chunk; `text`: each chunk as a `{text}` record. */
  mode: z.enum(['qa', 'text']).default('qa'),
  /** Who writes the pairs in `qa` mode: the configured chat endpoint when there is one (`auto`), or the extractive generator. */
  generator: z.enum(['auto', 'extractive', 'chat-endpoint']).default('auto'),
  maxChunks: z.number().int().min(1).max(1_000_000).default(10_000),
});
export type BuildDatasetBody = z.infer<typeof buildDatasetBody>;

export const versionRecordsQuery = z.object({ split: datasetSplitSchema.optional() });

export const DATASET_EXPORT_FORMATS = ['openai-chat', 'alpaca', 'sharegpt', 'text'] as const;
export const exportVersionQuery = z.object({
  format: z.enum(DATASET_EXPORT_FORMATS).default('openai-chat'),
  split: datasetSplitSchema.optional(),
});
export type ExportVersionQuery = z.infer<typeof exportVersionQuery>;
