import type { Job, JobQueue, QueueOptions } from '@llmp/queue';

export const DOCUMENT_QUEUE = 'ingestion-documents';

export interface DocumentJobData {
  documentId: string;
}

export interface DocumentJobsOptions {
  /** Retries after the first attempt, for transient faults only (default 3). */
  retryLimit?: number;
  /** First retry delay in seconds; doubled each retry (default 10). */
  retryDelaySeconds?: number;
  /** How long a silent worker keeps its job before it is retried elsewhere (default 120). */
  expireInSeconds?: number;
}

/** The document pipeline's use of the job queue. */
export interface DocumentJobs {
  readonly retryLimit: number;
  readonly queueOptions: QueueOptions;
  enqueue(documentId: string): Promise<string>;
  cancel(jobId: string): Promise<boolean>;
  get(jobId: string): Promise<Job<DocumentJobData> | null>;
}

export function createDocumentJobs(queue: JobQueue, { retryLimit = 3, retryDelaySeconds = 10, expireInSeconds = 120 }: DocumentJobsOptions = {}): DocumentJobs {
  return {
    retryLimit,
    queueOptions: { retryLimit, retryDelaySeconds, retryBackoff: true, expireInSeconds },
    async enqueue(documentId) {
      const id = await queue.send<DocumentJobData>(DOCUMENT_QUEUE, { documentId });
      if (!id) throw new Error(`the job queue refused a job for document ${documentId}`);
      return id;
    },
    cancel: (jobId) => queue.cancel(DOCUMENT_QUEUE, jobId),
    get: (jobId) => queue.getJob<DocumentJobData>(DOCUMENT_QUEUE, jobId),
  };
}
