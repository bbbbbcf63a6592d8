import type { CleaningBody, FreezeVersionBody, Visibility } from '@llmp/contracts';

// Types only: the contracts' zod schemas stay out of the browser bundle. The datasets service's
// answers are mirrored here as the console reads them (libs/structuring datasets/dataset.ts).
export type { CleaningBody, FreezeVersionBody };
export type DatasetExportFormat = 'openai-chat' | 'alpaca' | 'sharegpt' | 'text';
export type RecordStatus = 'pending' | 'accepted' | 'rejected';
export type RecordKind = 'chat' | 'text';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  weight?: 0 | 1;
}
export type DatasetRecord = { messages: ChatMessage[] } | { text: string };

export interface RecipeStep {
  pass: string;
  params: Record<string, unknown>;
  before: number;
  after: number;
  details?: Record<string, number>;
  at: string;
}

export type RecipeSource =
  | { type: 'upload'; uploadId: string; filename: string | null; fileType: string; stored: number; rejected: number; at: string }
  | { type: 'knowledge-base'; buildId: string; knowledgeBaseId: string; mode: string; stored: number; at: string };

export interface Recipe {
  sources: RecipeSource[];
  steps: RecipeStep[];
}

export interface Dataset {
  id: string;
  name: string;
  description: string;
  ownerId: string | null;
  visibility: Visibility;
  recipe: Recipe;
  records: { total: number; pending: number; accepted: number; rejected: number };
  createdAt: string;
  updatedAt: string;
}

export interface StoredRecord {
  id: string;
  datasetId: string;
  kind: RecordKind;
  record: DatasetRecord;
  status: RecordStatus;
  reason: string | null;
  tokens: number;
  source: { type: 'upload'; filename: string | null; line: number } | { type: 'knowledge-base'; documentId: string; chunkId: string; generator: string };
  createdAt: string;
  updatedAt: string;
}

export interface HistogramBucket {
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

export type Split = 'train' | 'validation' | 'test';

export interface DatasetVersion {
  id: string;
  datasetId: string;
  number: number;
  status: 'frozen';
  kind: RecordKind;
  counts: Record<Split, number>;
  split: { seed: string; validation: number; test: number; from: 'accepted' | 'not-rejected' };
  recipe: Recipe;
  stats: { examples: number; tokens: number; splits: Partial<Record<Split, SplitStats>>; histogram: HistogramBucket[] };
  holds: string[];
  createdBy: string | null;
  createdAt: string;
}

export type BuildStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Build {
  id: string;
  datasetId: string;
  params: { knowledgeBaseId: string; mode: 'qa' | 'text'; generator: string; maxChunks: number };
  status: BuildStatus;
  progress: { documents: number; chunks: number; records: number; versionId?: string };
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One refused line of an upload: where, and what is wrong with it. */
export interface UploadIssue {
  line: number;
  /** A JSON path inside the record (`messages[2].role`); empty when the whole line is at fault. */
  path: string;
  message: string;
}

export interface UploadReport {
  uploadId: string;
  filename: string | null;
  dryRun: boolean;
  valid: number;
  stored: number;
  rejected: number;
  errorCount: number;
  errors: string[];
  issues: UploadIssue[];
  warningCount: number;
  warnings: string[];
  formats: Record<string, number>;
  tokens: { total: number; max: number; mean: number };
}

export const datasetsKey = ['datasets'] as const;

/** The formats a version can be exported in: conversations in three, plain text in one. */
export function exportFormats(kind: RecordKind): DatasetExportFormat[] {
  return kind === 'chat' ? ['openai-chat', 'alpaca', 'sharegpt'] : ['text'];
}

export function exportPath(versionId: string, format: DatasetExportFormat): string {
  return `/api/datasets/versions/${encodeURIComponent(versionId)}/export?format=${format}`;
}

const FINAL_BUILDS: readonly BuildStatus[] = ['completed', 'failed', 'cancelled'];
export const isBuildFinal = (status: BuildStatus): boolean => FINAL_BUILDS.includes(status);

/** A record as one line of text for a table cell. */
export function recordPreview(record: DatasetRecord): string {
  if ('text' in record) return record.text;
  return record.messages.map((m) => `${m.role}: ${m.content}`).join('\n');
}
