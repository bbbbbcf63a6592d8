import type { Logger } from '@llmp/core';
import type { StoredDocument } from '../documents/document';
import type { DocumentStore } from '../documents/document.store';
import type { DocumentJobs } from './document-jobs';

export interface ReconcilerDeps {
  documents: DocumentStore;
  jobs: DocumentJobs;
  log: Logger;
  /** How often to look (default 30 000). */
  intervalMs?: number;
  /** A document untouched this long is checked against its job (default 120, the heartbeat timeout). */
  idleSeconds?: number;
}

export interface Reconciler {
  /** One pass; resolves with how many documents it changed. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Settles documents whose job can no longer settle them: the worker died on
 * the last attempt (the job failed by heartbeat timeout, and no handler ran
 * to say so), the job vanished, or the document never got a job because the
 * process died between storing it and queueing it.
 */
export function startReconciler({ documents, jobs, log, intervalMs = 30_000, idleSeconds = 120 }: ReconcilerDeps): Reconciler {
  async function settle(doc: StoredDocument): Promise<boolean> {
    if (!doc.jobId) {
      if (doc.status !== 'queued') return false;
      const jobId = await jobs.enqueue(doc.id);
      await documents.setJob(doc.id, jobId);
      log.info({ documentId: doc.id, jobId }, 'queued a document that had no job');
      return true;
    }
    const job = await jobs.get(doc.jobId);
    if (!job) {
      return !!(await documents.finish(doc.id, 'failed', {
        code: 'job_lost',
        message: 'its processing job no longer exists; reindex the document to try again',
      }));
    }
    if (job.state === 'failed') {
      const detail = job.error?.message ? ` (${job.error.message})` : '';
      return !!(await documents.finish(doc.id, 'failed', {
        code: 'worker_lost',
        message: `processing stopped at ${doc.status}: the worker stopped responding and no retries were left${detail}; reindex the document to try again`,
        ...(doc.status !== 'queued' ? { stage: doc.status as 'parsing' } : {}),
      }));
    }
    if (job.state === 'cancelled') {
      return !!(await documents.finish(doc.id, 'cancelled', { code: 'cancelled', message: 'processing was cancelled' }));
    }
    if (job.state === 'completed') {
      return !!(await documents.finish(doc.id, 'failed', { code: 'pipeline_incomplete', message: 'processing ended without indexing the document; reindex it' }));
    }
    return false;
  }

  async function runOnce(): Promise<number> {
    let changed = 0;
    for (const doc of await documents.listIdle(idleSeconds)) {
      try {
        if (await settle(doc)) changed++;
      } catch (err) {
        log.error({ err, documentId: doc.id }, 'could not reconcile a document');
      }
    }
    return changed;
  }

  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    running ??= runOnce()
      .catch((err) => log.error({ err }, 'document reconciler failed'))
      .finally(() => (running = null));
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
