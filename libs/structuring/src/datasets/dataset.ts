import type { Visibility } from '@llmp/contracts';
import type { RecipeStep } from '../cleaning/cleaning-pass';
import type { DatasetStats } from '../cleaning/dataset-stats';
import type { Split } from '../cleaning/split';
import type { DatasetRecord } from '../records/record';

export const RECORD_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];
export type RecordKind = 'chat' | 'text';

/** Where a record came from: a line of an uploaded file, or a chunk of a knowledge base. */
export type RecordSource =
  | { type: 'upload'; uploadId: string; filename: string | null; line: number }
  | { type: 'knowledge-base'; buildId: string; knowledgeBaseId: string; documentId: string; chunkId: string; generator: string };

/** What went into a dataset so far, copied into each version it freezes. */
export type RecipeSourceEntry =
  | { type: 'upload'; uploadId: string; filename: string | null; fileType: string; stored: number; rejected: number; at: string }
  | { type: 'knowledge-base'; buildId: string; knowledgeBaseId: string; mode: string; generator: Record<string, unknown>; stored: number; at: string };

export interface DraftRecipe {
  sources: RecipeSourceEntry[];
  steps: Array<RecipeStep & { at: string }>;
}

export interface RecordCounts {
  total: number;
  pending: number;
  accepted: number;
  rejected: number;
}

export interface Dataset {
  id: string;
  name: string;
  description: string;
  /** Null for datasets the platform itself made (the demo). */
  ownerId: string | null;
  visibility: Visibility;
  recipe: DraftRecipe;
  records: RecordCounts;
  createdAt: string;
  updatedAt: string;
}

export interface NewDataset {
  id: string;
  name: string;
  description: string;
  ownerId: string | null;
  visibility: Visibility;
}

export interface StoredRecord {
  id: string;
  datasetId: string;
  kind: RecordKind;
  record: DatasetRecord;
  status: RecordStatus;
  /** Why a record was rejected: a reviewer's note or the cleaning pass that dropped it. */
  reason: string | null;
  tokens: number;
  source: RecordSource;
  createdAt: string;
  updatedAt: string;
}

export interface NewRecord {
  id: string;
  datasetId: string;
  record: DatasetRecord;
  tokens: number;
  source: RecordSource;
}

export interface SplitSettings {
  seed: string;
  validation: number;
  test: number;
}

export type FreezeFrom = 'accepted' | 'not-rejected';

export interface DatasetVersion {
  id: string;
  datasetId: string;
  number: number;
  status: 'frozen';
  kind: RecordKind;
  counts: Record<Split, number>;
  split: SplitSettings & { from: FreezeFrom };
  recipe: DraftRecipe;
  stats: DatasetStats;
  holds: string[];
  createdBy: string | null;
  createdAt: string;
}

export interface FrozenRecord {
  recordId: string;
  split: Split;
  record: DatasetRecord;
  tokens: number;
}

export const BUILD_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

export interface BuildParams {
  knowledgeBaseId: string;
  mode: 'qa' | 'text';
  /** The generator of `qa` builds, resolved when the build starts. */
  generator: 'extractive' | 'chat-endpoint';
  /** Chunks read at most; the rest of the knowledge base is left out. */
  maxChunks: number;
  /** Freeze a version once the records are stored (the demo does). */
  freeze?: { validation: number; test: number; seed: string; minExamples: number } | null;
}

export interface BuildProgress {
  documents: number;
  chunks: number;
  records: number;
  versionId?: string;
}

export interface Build {
  id: string;
  datasetId: string;
  params: BuildParams;
  status: BuildStatus;
  progress: BuildProgress;
  error: string | null;
  jobId: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export const recordKind = (record: DatasetRecord): RecordKind => ('messages' in record ? 'chat' : 'text');
