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
