import type { Document, DocumentError, PipelineStage } from '@llmp/contracts';
import { newId, type Logger } from '@llmp/core';
import { JobAbortedError, PermanentJobError, type JobContext } from '@llmp/queue';
import type { BlobStore } from '../blob-store/blob-store';
import type { StoredChunk } from '../chunking/chunk';
import { chunkDocument, embeddingText } from '../chunking/chunker';
import { searchableText } from '../documents/chunk.store';
import type { DocumentStore, RunUpdate } from '../documents/document.store';
import type { EmbedderCatalog } from '../embedding/embedder-catalog';
import { EmbedderError } from '../embedding/embedder';
import type { KnowledgeBaseStore } from '../knowledge-bases/knowledge-base.store';
import { DocumentParseError } from '../parsing/parse-error';
import { ParserCrashedError, ParserTimeoutError, type ParsePool } from '../parsing/parse-pool';
import type { Lexer } from '../search/lexer';
import type { InTransaction } from '../stores';
import { VectorStoreUnavailableError, type VectorStore } from '../vector-store/vector-store';
import type { DocumentJobData, DocumentJobs } from './document-jobs';

export interface DocumentPipelineDeps {
  documents: DocumentStore;
  knowledgeBases: KnowledgeBaseStore;
  /** The indexing step writes chunks and vectors in one transaction. */
  transaction: InTransaction;
  blobs: BlobStore;
  /** Compacted after each document is indexed, where the store defers indexing to that. */
  vectors: VectorStore;
  embedders: EmbedderCatalog;
  jobs: DocumentJobs;
  log: Logger;
  /** Texts per embedder call; progress is written and cancels are noticed between calls (default 64). */
  embedBatchSize?: number;
  /** Runs the parsers in worker threads; the pipeline never parses on its own thread. */
  parser: ParsePool;
  /**
   * Attempts of one job whose parser crashes or times out before the document
   * fails for good (default 2): a crash may be bad luck, twice it is the file.
   */
  maxParseAttempts?: number;
  /**
   * Computes the chunks' full-text lexemes while they are embedded, away from
   * the database that stores them; without one (or if it fails) the
   * database computes them as it writes the chunks.
   */
  lexer?: Lexer;
}

/** The run no longer owns the document: it was cancelled, deleted, or another run took it over. */
class LostDocumentError extends Error {
  constructor() {
    super('the document is no longer owned by this run');
    this.name = 'LostDocumentError';
  }
}

/** A failure that retrying cannot fix, with the reason to show. */
class PermanentFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentFailure';
  }
}

interface Failure extends DocumentError {
  permanent: boolean;
}

function classify(error: unknown, stage: PipelineStage | undefined, { parseAttemptsLeft }: { parseAttemptsLeft: boolean }): Failure {
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof ParserCrashedError || error instanceof ParserTimeoutError) {
    return { code: error.code, message, stage, permanent: !parseAttemptsLeft };
  }
  if (error instanceof DocumentParseError) return { code: error.code, message, stage, permanent: true };
  if (error instanceof PermanentFailure) return { code: error.code, message, stage, permanent: true };
  if (error instanceof EmbedderError) return { code: error.permanent ? 'embedding_failed' : 'embedding_unavailable', message, stage, permanent: error.permanent };
  if (error instanceof VectorStoreUnavailableError) return { code: 'vector_store_unavailable', message, stage, permanent: false };
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return { code: 'file_missing', message: 'the uploaded file is missing from the blob store; upload it again', stage, permanent: true };
  }
  return { code: 'internal', message: `unexpected error: ${message}`, stage, permanent: false };
}

const PROGRESS = { parsing: 0.02, chunking: 0.1, embedding: 0.15, indexing: 0.92 } as const;
/** Progress is written at most this often while embedding. */
const PROGRESS_EVERY_MS = 500;

/**
 * One document through queued → parsing → chunking → embedding → indexing →
 * ready. Each run owns the document through `run_id`: whatever a cancelled,
 * superseded or presumed-dead run writes later is dropped. Chunks and
 * vectors are written in the one indexing transaction (pgvector), or after
 * clearing the document's earlier vectors (Milvus), so a killed worker
 * leaves nothing half-indexed and its retry starts clean.
 */
export function createDocumentPipeline(deps: DocumentPipelineDeps) {
  const { documents, knowledgeBases, transaction, blobs, vectors, embedders, jobs, log, parser, lexer, embedBatchSize = 64, maxParseAttempts = 2 } = deps;

  /**
   * The document is ready once its transaction commits; sealing and
   * merging segments come after it and can only be slow, never lose
   * anything: a failed one is tried again after the next document.
   */
  async function compact(collection: string, runLog: Logger) {
    if (!vectors.compact) return;
    try {
      const report = await vectors.compact(collection);
      if (report.indexed.length || report.merged.length) runLog.info({ collection, ...report }, 'vector segments compacted');
    } catch (error) {
      runLog.warn({ collection, err: error }, 'compacting the vector segments failed; the next document tries again');
    }
  }

  /**
   * Per collection, the compaction running after its documents, and
   * whether another document was indexed meanwhile (one more pass then).
   * It runs beside the next documents rather than in the job that indexed
   * one: it waits for their indexing transactions, and the job slot would
   * wait with it.
   */
  const compacting = new Map<string, { again: boolean; done: Promise<void> }>();
  function compactSoon(collection: string, runLog: Logger) {
    if (!vectors.compact) return;
    const running = compacting.get(collection);
    if (running) {
      running.again = true;
      return;
    }
    const entry = { again: false, done: Promise.resolve() };
    compacting.set(collection, entry);
    entry.done = (async () => {
      do {
        entry.again = false;
        await compact(collection, runLog);
      } while (entry.again);
      compacting.delete(collection);
    })();
  }

  async function handle(job: JobContext<DocumentJobData>): Promise<Record<string, unknown>> {
    const { id: jobId, data, attempt, signal } = job;
    const documentId = data.documentId;
    const runId = newId('run');
    const claimed = await documents.claim(documentId, jobId, runId);
    if (!claimed) return { skipped: 'the document is gone, finished, or belongs to another job' };
    const kb = await knowledgeBases.get(claimed.knowledgeBaseId);
    if (!kb) return { skipped: 'the knowledge base is gone' };
    const runLog = log.child({ documentId, jobId, attempt });

    const stages: Document['stages'] = { queued: claimed.stages.queued };
    let stage: PipelineStage | undefined;
    let stageStarted = 0;
    /**
     * Status and progress writes are queued in order: parsing and chunking
     * run while the database is busy with other documents' indexing (PGlite
     * runs one statement at a time). The queue is drained before a stage
     * whose work is seen outside this process (an embedding server, the
     * index) and before any outcome is written, so the status is never
     * behind that work, a run that lost the document stops there, and a
     * late status never overwrites the outcome.
     */
    let written: Promise<void> = Promise.resolve();
    /** Set by a write that found the document no longer ours: the work stops at the next stage or batch. */
    let lost = false;
    const stillOwned = () => {
      if (lost) throw new LostDocumentError();
    };
    const write = (update: RunUpdate) => {
      written = written.then(async () => {
        if (await documents.updateRun(documentId, runId, update)) return;
        lost = true;
        throw new LostDocumentError();
      });
      // Observed when drained; until then a failed write must not count as unhandled.
      written.catch(() => undefined);
    };
    const begin = (next: PipelineStage, update: RunUpdate = {}) => {
      signal.throwIfAborted();
      stillOwned();
      finish();
      stage = next;
      stageStarted = performance.now();
      stages[next] = { startedAt: new Date().toISOString() };
      write({ status: next, progress: PROGRESS[next], stages: { ...stages }, ...update });
    };
    const finish = () => {
      if (!stage) return;
      stages[stage] = { ...stages[stage]!, finishedAt: new Date().toISOString(), ms: Math.round(performance.now() - stageStarted) };
    };

    try {
      begin('parsing', { error: null });
      const bytes = await blobs.read(claimed.blobKey);
      const parsed = await parser.parse(bytes, claimed.type, { signal });
      const warnings = [...new Set([...claimed.warnings, ...parsed.warnings])];

      begin('chunking', {
        title: parsed.title ?? claimed.title,
        warnings,
        pageCount: parsed.pageCount,
        sectionCount: parsed.blocks.filter((b) => b.kind === 'heading').length,
        charCount: parsed.text.length,
      });
      const chunks = chunkDocument(parsed, kb.chunking);
      if (!chunks.length) throw new DocumentParseError('no_text', 'no text could be extracted from the file');
      const tokenCount = chunks.reduce((n, c) => n + c.tokenCount, 0);

      begin('embedding', { chunkCount: chunks.length, tokenCount });
      const lexing = lexer
        ?.lexemes(chunks.map(searchableText))
        .catch((error: unknown) => {
          runLog.warn({ err: error }, 'lexer failed; the database computes the lexemes');
          return undefined;
        });
      await written;
      let embedder;
      try {
        embedder = embedders.resolve(kb.embedder);
      } catch (error) {
        throw new PermanentFailure('embedder_unavailable', (error as Error).message);
      }
      const embeddings: number[][] = [];
      let lastWrite = performance.now();
      for (let i = 0; i < chunks.length; i += embedBatchSize) {
        signal.throwIfAborted();
        stillOwned();
        const batch = chunks.slice(i, i + embedBatchSize);
        embeddings.push(...(await embedder.embed(batch.map(embeddingText), { signal })));
        if (performance.now() - lastWrite > PROGRESS_EVERY_MS) {
          lastWrite = performance.now();
          write({ progress: PROGRESS.embedding + (PROGRESS.indexing - PROGRESS.embedding) * (embeddings.length / chunks.length) });
        }
      }

      begin('indexing');
      await written;
      const stored: StoredChunk[] = chunks.map((c) => ({ ...c, id: newId('chk'), documentId, knowledgeBaseId: kb.id }));
      const lexemes = await lexing;
      await transaction(async (tx) => {
        if (!(await tx.documents.lockOwned(documentId, runId))) throw new LostDocumentError();
        signal.throwIfAborted();
        // Normally there already; checked only once the document is known to still exist.
        await tx.vectors.ensureCollection(kb.vectorCollection, { dimension: kb.embedder.dimension });
        await tx.vectors.deleteDocuments(kb.vectorCollection, [documentId]);
        await tx.chunks.replace(documentId, stored, lexemes);
        await tx.vectors.upsert(
          kb.vectorCollection,
          stored.map((c, i) => ({ id: c.id, documentId, vector: embeddings[i] })),
        );
        finish();
        stages.ready = { at: new Date().toISOString() };
        await tx.documents.updateRun(documentId, runId, {
          status: 'ready',
          progress: 1,
          stages,
          error: null,
          indexedRevision: kb.settingsRevision,
          release: true,
        });
      });
      runLog.info({ chunks: stored.length, tokens: tokenCount }, 'document ready');
      compactSoon(kb.vectorCollection, runLog);
      return { chunks: stored.length, tokens: tokenCount };
    } catch (caught) {
      const unwritten = await written.then(
        () => null,
        (writeError: unknown) => writeError,
      );
      const error = !signal.aborted && unwritten instanceof LostDocumentError ? unwritten : caught;
      if (error instanceof LostDocumentError) return { skipped: 'the document was cancelled, deleted or taken over while it ran' };
      if (signal.aborted) {
        const reason = signal.reason;
        if (reason instanceof JobAbortedError && reason.reason === 'stopping') {
          await documents
            .updateRun(documentId, runId, {
              status: 'queued',
              error: { code: 'interrupted', message: 'the worker stopped; processing resumes on the next attempt', stage, retrying: true },
              release: true,
            })
            .catch(() => undefined);
        }
        throw reason;
      }
      const failure = classify(error, stage, { parseAttemptsLeft: attempt < maxParseAttempts });
      const { permanent, ...reason } = failure;
      const lastAttempt = attempt > jobs.retryLimit;
      if (permanent || lastAttempt) {
        const parserLost = error instanceof ParserCrashedError || error instanceof ParserTimeoutError;
        const message = permanent && !(parserLost && attempt > 1) ? reason.message : `${reason.message} (gave up after ${attempt} attempts)`;
        await documents.updateRun(documentId, runId, { status: 'failed', error: { ...reason, message }, release: true }).catch(() => undefined);
        runLog.warn({ code: reason.code, stage }, `document failed: ${message}`);
        throw new PermanentJobError(message, { cause: error });
      }
      await documents.updateRun(documentId, runId, { status: 'queued', error: { ...reason, retrying: true }, release: true }).catch(() => undefined);
      runLog.warn({ code: reason.code, stage, err: error }, 'document failed; it will be retried');
      throw error;
    }
  }

  /** Resolves once no compaction is running (call after the queue stops handing out documents). */
  async function drain() {
    while (compacting.size) await Promise.all([...compacting.values()].map((c) => c.done));
  }

  return { handle, drain };
}
