// The training service's answers as the console reads them (libs/training jobs/job.ts, models/model.ts).
export type JobState = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Hyperparameters {
  nEpochs: number;
  batchSize: number;
  learningRateMultiplier: number;
  seed: number;
  contextLength: number;
  vocabSize: number;
  evalEvery: number;
  checkpointEvery: number;
}

export interface ModelShape {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  ffnHidden: number;
  contextLength: number;
}

export interface JobEstimate {
  parameters: number;
  memoryBytes: number;
  tokensPerEpoch: number;
  totalSteps: number;
  seconds: number;
  limits: { memoryBytes: number; seconds: number };
}

export interface Job {
  id: string;
  ownerId: string;
  datasetVersionId: string;
  hasValidation: boolean;
  model: string;
  suffix: string | null;
  hyperparameters: Hyperparameters;
  modelConfig: ModelShape;
  estimate: JobEstimate;
  state: JobState;
  error: { code: string; message: string; param: string | null } | null;
  cancelRequested: boolean;
  step: number;
  totalSteps: number | null;
  trainedTokens: number;
  fineTunedModelId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobEvent {
  id: string;
  jobId: string;
  level: 'info' | 'warn' | 'error';
  type: 'message' | 'metrics';
  message: string;
  data: Record<string, unknown> | null;
  createdAt: string;
}

export interface Checkpoint {
  id: string;
  jobId: string;
  step: number;
  trainLoss: number | null;
  validLoss: number | null;
  validPerplexity: number | null;
  createdAt: string;
}

export interface ModelPreset {
  name: string;
  description: string;
  maxContextLength: number;
}

export interface TrainedModel {
  id: string;
  ownerId: string;
  jobId: string;
  checkpointId: string | null;
  baseModel: string;
  datasetVersionId: string;
  hyperparameters: Hyperparameters;
  modelConfig: ModelShape;
  metrics: { trainLoss: number | null; validLoss: number | null; validPerplexity: number | null; steps: number; trainedTokens: number };
  format: 'gguf';
  sizeBytes: number;
  download: string;
  createdAt: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

export const jobsKey = ['training', 'jobs'] as const;
export const modelsKey = ['training', 'models'] as const;

const FINISHED: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];
export const isJobFinished = (state: JobState): boolean => FINISHED.includes(state);

/** One point of the loss curve: a `metrics` event of the trainer. */
export interface LossPoint {
  step: number;
  trainLoss: number | null;
  validLoss: number | null;
}

export function lossPoint(event: JobEvent): LossPoint | null {
  if (event.type !== 'metrics' || !event.data || typeof event.data.step !== 'number') return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { step: event.data.step, trainLoss: num(event.data.train_loss), validLoss: num(event.data.valid_loss) };
}

export interface FollowOptions {
  token: string;
  /** Resume after this event id (the stream gives every event after it). */
  after?: string;
  signal: AbortSignal;
  onEvent(event: JobEvent): void;
}

/**
 * Follows a job's events as server-sent events until the job ends ("end" event) or the signal
 * aborts. EventSource cannot send the bearer token, so the stream is read through fetch and parsed
 * here (`id:`, `event:`, `data:` lines, a blank line ends an event, `:` lines are comments).
 * Resolves true when the server said the job has ended.
 */
export async function followJobEvents(jobId: string, { token, after, signal, onEvent }: FollowOptions): Promise<boolean> {
  const query = after ? `?after=${encodeURIComponent(after)}` : '';
  const res = await fetch(`/api/training/jobs/${encodeURIComponent(jobId)}/events${query}`, {
    headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`the job's event stream answered ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let type = 'message';
  let data = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (type === 'end') {
          await reader.cancel();
          return true;
        }
        if (data) onEvent(JSON.parse(data) as JobEvent);
        type = 'message';
        data = '';
      } else if (line.startsWith('event:')) type = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
    }
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export const formatLoss = (value: number | null | undefined): string => (value == null ? '—' : value.toFixed(3));
