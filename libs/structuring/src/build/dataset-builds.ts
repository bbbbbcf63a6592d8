import { SYSTEM, type BuildDatasetBody, type Caller, type Identity } from '@llmp/contracts';
import { DomainError, invalid, newId, notFound, sleep, type Logger } from '@llmp/core';
import { PermanentJobError, type JobContext, type JobQueue, type QueueOptions } from '@llmp/queue';
import type { DatasetRecord } from '../records/record';
import type { TokenCounter } from '../validation/tokenizer';
import type { Build, BuildParams, BuildProgress, NewRecord } from '../datasets/dataset';
import { requireDataset } from '../datasets/dataset-access';
import type { DatasetsService } from '../datasets/datasets.service';
import type { StructuringStores } from '../datasets/stores';
import type { ChunkSource, KnowledgeChunk } from './chunk-source';
import { createExtractiveGenerator, type QaGenerator } from './qa-generators';

export const BUILD_QUEUE = 'structuring-builds';

export interface BuildJobData {
  buildId: string;
  /** The user the build reads the knowledge base as: it sees only what they may. */
  identity: Identity;
}

export interface DatasetBuildsOptions {
  /** How long a build waits for the knowledge base's documents to finish processing (default 10 minutes). */
  documentWaitMs?: number;
  /** How often it looks (default 1 s). */
  documentPollMs?: number;
}

export interface DatasetBuildsDeps extends DatasetBuildsOptions {
  stores: StructuringStores;
  queue: JobQueue;
  chunks: ChunkSource;
  datasets: DatasetsService;
  tokenizer: TokenCounter;
  log: Logger;
  /** A configured OpenAI-compatible chat endpoint; without one, `qa` builds use the extractive generator. */
  chatGenerator?: QaGenerator | null;
}

const buildNotFound = (id: string) => notFound({ code: 'dataset_build_not_found', message: `dataset build ${id} does not exist` });
/** Records stored per statement, and how often progress is saved and a cancel looked for. */
const BATCH = 200;
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

class BuildCancelled extends Error {}

export type DatasetBuilds = ReturnType<typeof createDatasetBuilds>;

/**
 * Builds dataset records from a knowledge base as queue jobs: chunks are read
 * from the ingestion service as the requesting user, turned into
 * question/answer conversations (or `{text}` records), stored, and recorded
 * in the dataset's recipe. A build that fails or is cancelled leaves no records.
 */
export function createDatasetBuilds({ stores, queue, chunks, datasets, tokenizer, log, chatGenerator = null, documentWaitMs = 600_000, documentPollMs = 1000 }: DatasetBuildsDeps) {
  const queueOptions: QueueOptions = { retryLimit: 2, retryDelaySeconds: 5, retryBackoff: true, expireInSeconds: 120 };
  const extractive = createExtractiveGenerator();
  const chunkText = { name: 'chunk-text', label: { name: 'chunk-text', description: 'each chunk as one {text} record' } };

  const generatorOf = (params: BuildParams): QaGenerator => {
    if (params.generator !== 'chat-endpoint') return extractive;
    if (!chatGenerator) throw new PermanentJobError('this build asks for the chat endpoint generator, and none is configured any more');
    return chatGenerator;
  };

  const generate = async (params: BuildParams, chunk: KnowledgeChunk, signal: AbortSignal): Promise<DatasetRecord[]> => {
    if (params.mode === 'text') return chunk.text.trim() ? [{ text: chunk.text }] : [];
    return generatorOf(params).generate({ text: chunk.text, headingPath: chunk.headingPath, documentTitle: chunk.documentTitle }, signal);
  };

  async function run(build: Build, identity: Identity, signal: AbortSignal): Promise<BuildProgress> {
    const { knowledgeBaseId, mode, maxChunks } = build.params;
    const progress: BuildProgress = { documents: 0, chunks: 0, records: 0 };
    const started = Date.now();
    while ((await chunks.pendingDocuments(knowledgeBaseId, identity, signal)) > 0) {
      if (Date.now() - started > documentWaitMs) throw new PermanentJobError(`documents of knowledge base ${knowledgeBaseId} were still processing after ${Math.round(documentWaitMs / 1000)} s`);
      await sleep(documentPollMs, signal);
    }
    let batch: NewRecord[] = [];
    let lastDocument = '';
    const flush = async () => {
      await stores.records.insertMany(batch);
      progress.records += batch.length;
      batch = [];
      await stores.builds.update(build.id, { progress });
      if (signal.aborted || (await stores.builds.get(build.id))?.status === 'cancelled') throw new BuildCancelled();
    };
    for await (const chunk of chunks.chunks(knowledgeBaseId, identity, signal)) {
      if (progress.chunks >= maxChunks) break;
      progress.chunks++;
      if (chunk.documentId !== lastDocument) {
        progress.documents++;
        lastDocument = chunk.documentId;
      }
      for (const record of await generate(build.params, chunk, signal)) {
        batch.push({
          id: newId('rec'),
          datasetId: build.datasetId,
          record,
          tokens: tokenizer.countRecord(record),
          source: { type: 'knowledge-base', buildId: build.id, knowledgeBaseId, documentId: chunk.documentId, chunkId: chunk.id, generator: mode === 'qa' ? generatorOf(build.params).name : chunkText.name },
        });
      }
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    const generator = mode === 'qa' ? generatorOf(build.params).label : chunkText.label;
    await stores.datasets.appendToRecipe(build.datasetId, {
      sources: [{ type: 'knowledge-base', buildId: build.id, knowledgeBaseId, mode, generator, stored: progress.records, at: new Date().toISOString() }],
    });
    if (build.params.freeze) {
      const { validation, test, seed, minExamples } = build.params.freeze;
      const version = await datasets.freeze(build.datasetId, { from: 'not-rejected', validation, test, seed, minExamples }, identity);
      progress.versionId = version.id;
    }
    return progress;
  }

  async function handle(job: JobContext<BuildJobData>): Promise<{ records: number } | void> {
    const build = await stores.builds.get(job.data.buildId);
    if (!build || FINISHED.has(build.status)) return;
    // A retry after a worker died starts over: what the lost attempt stored goes first.
    await stores.records.deleteByBuild(build.datasetId, build.id);
    await stores.builds.update(build.id, { status: 'running', error: null });
    try {
      const progress = await run(build, job.data.identity, job.signal);
      await stores.builds.update(build.id, { status: 'completed', progress });
      log.info({ buildId: build.id, datasetId: build.datasetId, ...progress }, 'dataset build completed');
      return { records: progress.records };
    } catch (error) {
      await stores.records.deleteByBuild(build.datasetId, build.id);
      if (error instanceof BuildCancelled || job.signal.aborted) {
        await stores.builds.update(build.id, { status: 'cancelled', progress: { documents: 0, chunks: 0, records: 0 } });
        return;
      }
      const message = (error as Error).message;
      const permanent = error instanceof PermanentJobError || (error instanceof DomainError && error.kind !== 'upstream_failed');
      const lastTry = permanent || job.attempt > queueOptions.retryLimit!;
      await stores.builds.update(build.id, { status: lastTry ? 'failed' : 'queued', error: message });
      throw permanent && !(error instanceof PermanentJobError) ? new PermanentJobError(message, { cause: error }) : error;
    }
  }

  return {
    queueOptions,
    handle,

    async start(datasetId: string, body: BuildDatasetBody & { freeze?: BuildParams['freeze'] }, identity: Identity, caller: Caller = identity): Promise<Build> {
      await requireDataset(stores.datasets, datasetId, caller, 'write', { action: 'build records into this dataset' });
      if (body.generator === 'chat-endpoint' && !chatGenerator) {
        throw invalid({ code: 'no_chat_endpoint', message: 'no chat endpoint is configured (LLMP_DATASET_GENERATOR_URL and LLMP_DATASET_GENERATOR_MODEL); use "generator": "extractive"' });
      }
      const generator = body.generator === 'extractive' || !chatGenerator ? 'extractive' : 'chat-endpoint';
      const params: BuildParams = { knowledgeBaseId: body.knowledgeBaseId, mode: body.mode, generator, maxChunks: body.maxChunks, freeze: body.freeze ?? null };
      const build = await stores.builds.insert({ id: newId('dsb'), datasetId, params, createdBy: caller === SYSTEM ? null : caller.userId });
      const jobId = await queue.send<BuildJobData>(BUILD_QUEUE, { buildId: build.id, identity });
      if (!jobId) throw new Error(`the job queue refused the build ${build.id}`);
      await stores.builds.update(build.id, { jobId });
      return (await stores.builds.get(build.id))!;
    },

    async get(buildId: string, caller: Caller): Promise<Build> {
      const build = await stores.builds.get(buildId);
      if (!build) throw buildNotFound(buildId);
      await requireDataset(stores.datasets, build.datasetId, caller, 'read', { action: 'read this build', missing: () => buildNotFound(buildId) });
      return build;
    },

    async list(datasetId: string, caller: Caller): Promise<Build[]> {
      await requireDataset(stores.datasets, datasetId, caller, 'read', { action: 'read this dataset' });
      return stores.builds.listByDataset(datasetId);
    },

    /** Stops a queued or running build; what it stored so far is removed. */
    async cancel(buildId: string, caller: Caller): Promise<Build> {
      const build = await stores.builds.get(buildId);
      if (!build) throw buildNotFound(buildId);
      await requireDataset(stores.datasets, build.datasetId, caller, 'write', { action: 'cancel this build', missing: () => buildNotFound(buildId) });
      if (FINISHED.has(build.status)) return build;
      await stores.builds.update(buildId, { status: 'cancelled' });
      if (build.jobId) await queue.cancel(BUILD_QUEUE, build.jobId);
      if (build.status === 'queued') await stores.records.deleteByBuild(build.datasetId, buildId);
      return (await stores.builds.get(buildId))!;
    },
  };
}
