/**
 * Thrown by a job handler when trying again cannot help (bad input): the job
 * fails at once, whatever retries its queue allows. Any other error is retried.
 */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/**
 * Why a handler's AbortSignal fired: `cancelled` by a caller, `lost` because
 * the job is no longer this worker's (its heartbeat timed out and maintenance
 * failed it), `stopping` because the queue is shutting down.
 */
export type JobAbortReason = 'cancelled' | 'lost' | 'stopping';

/** The `reason` of a handler's AbortSignal. */
export class JobAbortedError extends Error {
  readonly reason: JobAbortReason;

  constructor(reason: JobAbortReason, message: string) {
    super(message);
    this.name = 'JobAbortedError';
    this.reason = reason;
  }
}
