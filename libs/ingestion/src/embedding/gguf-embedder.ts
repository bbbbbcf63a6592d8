import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { EmbedderError, type Embedder } from './embedder';

export const GGUF_EMBEDDER_PREFIX = 'gguf:';

export interface GgufEmbedderOptions {
  /** A GGUF embedding model on this machine (e.g. a GGUF build of nomic-embed-text or bge). */
  modelPath: string;
  /** Tokens the model sees per text; longer texts are cut (default: the model's training context, at most 2048). */
  contextSize?: number;
  /** CPU threads llama.cpp uses (default: its own choice, all cores). */
  threads?: number;
  /** Texts embedded between two checks of the abort signal (default 16). */
  batchSize?: number;
  /** Put before every query and every document, for models trained with such prefixes (nomic: `search_query: ` / `search_document: `). */
  queryPrefix?: string;
  documentPrefix?: string;
  /** The module that provides llama.cpp (default `node-llama-cpp`). */
  llamaCppModule?: string;
}

/** The embedder's name as a knowledge base pins it: `gguf:` and the model file's name without `.gguf`. */
export const ggufEmbedderName = (modelPath: string) => `${GGUF_EMBEDDER_PREFIX}${path.basename(modelPath).replace(/\.gguf$/i, '')}`;

type WorkerMessage =
  | { type: 'ready'; dimension: number; contextSize: number }
  | { type: 'failed'; stage: 'import' | 'load'; message: string }
  | { type: 'vectors'; id: number; vectors: (Float64Array | null)[] }
  | { type: 'error'; id: number; message: string };

/** Bundled apps ship the worker beside `main.cjs`; from sources it sits beside this file. */
const workerPath = () => path.join(__dirname, 'gguf-embed-worker.mjs');

interface Pending {
  resolve(vectors: (Float64Array | null)[]): void;
  reject(error: Error): void;
}

/** llama.cpp on a worker thread with the model loaded: resolves once it is ready, rejects with why it is not. */
function startWorker(options: GgufEmbedderOptions, specifier: string, onLost: (error: Error) => void) {
  const { modelPath, threads } = options;
  const worker = new Worker(workerPath(), { workerData: { modelPath, threads, contextSize: options.contextSize ?? 2048, llamaCppModule: specifier } });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let alive = true;
  const lost = (error: Error) => {
    if (!alive) return;
    alive = false;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    onLost(error);
  };
  const ready = new Promise<{ dimension: number; contextSize: number }>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') resolve(message);
      else if (message.type === 'failed') {
        const error = new EmbedderError(
          message.stage === 'import'
            ? `the GGUF embedder needs the ${specifier} package, which could not be loaded: ${message.message}`
            : `llama.cpp could not load ${modelPath} as an embedding model: ${message.message}`,
          { permanent: true },
        );
        reject(error);
        lost(error);
      } else {
        const target = pending.get(message.id);
        if (!target) return;
        pending.delete(message.id);
        if (pending.size === 0) worker.unref();
        if (message.type === 'vectors') target.resolve(message.vectors);
        else target.reject(new EmbedderError(`llama.cpp failed to embed a text with ${ggufEmbedderName(modelPath)}: ${message.message}`, { permanent: true }));
      }
    });
    const died = (error: Error) => {
      reject(new EmbedderError(`llama.cpp could not load ${modelPath} as an embedding model: ${error.message}`, { permanent: true, cause: error }));
      lost(new EmbedderError(`the llama.cpp worker for ${ggufEmbedderName(modelPath)} stopped: ${error.message}`, { permanent: false, cause: error }));
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
  });
  // Only work in flight keeps the process alive: an idle embedder must not hold a CLI open.
  ready.then(
    () => pending.size === 0 && worker.unref(),
    () => undefined,
  );
  return {
    ready,
    embed(texts: string[]): Promise<(Float64Array | null)[]> {
      if (!alive) return Promise.reject(new EmbedderError(`the llama.cpp worker for ${ggufEmbedderName(modelPath)} stopped`, { permanent: false }));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, texts });
      });
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * Embeddings computed in this process by llama.cpp (through node-llama-cpp, on
 * the CPU, on a worker thread) from a GGUF model the user provides: no server
 * and no network. The dimension is the model's. Texts longer than the context
 * are cut to it, and vectors are L2-normalised like every other embedder's.
 * Texts are evaluated one at a time, so queries interleave with documents
 * being indexed. A worker that dies is started again by the next request.
 */
export async function loadGgufEmbedder(options: GgufEmbedderOptions): Promise<Embedder> {
  const { modelPath, batchSize = 16, queryPrefix = '', documentPrefix = '' } = options;
  try {
    await access(modelPath, constants.R_OK);
  } catch (error) {
    throw new EmbedderError(`the GGUF embedding model ${modelPath} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      permanent: true,
      cause: error,
    });
  }
  const specifier = options.llamaCppModule ?? 'node-llama-cpp';
  let worker: ReturnType<typeof startWorker> | null = null;
  const start = () => {
    const started = startWorker(options, specifier, () => {
      if (worker === started) worker = null;
    });
    worker = started;
    return started;
  };
  const first = start();
  const { dimension } = await first.ready;
  if (!Number.isInteger(dimension) || dimension < 1) {
    await first.terminate();
    throw new EmbedderError(`${modelPath} reports no embedding size`, { permanent: true });
  }
  const name = ggufEmbedderName(modelPath);

  // A text without tokens (or one whose embedding is all zeros) has no cosine: a fixed unit vector instead.
  const unit = () => Array.from({ length: dimension }, (_, i) => (i === 0 ? 1 : 0));

  function normalised(vector: Float64Array | null): number[] {
    if (!vector) return unit();
    if (vector.length !== dimension) throw new EmbedderError(`${name} returned ${vector.length} numbers instead of ${dimension}`, { permanent: true });
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm);
    if (!Number.isFinite(norm)) throw new EmbedderError(`${name} returned an embedding that is not finite`, { permanent: true });
    if (norm === 0) return unit();
    return Array.from(vector, (v) => v / norm);
  }

  return {
    name,
    dimension,
    async embed(texts, { signal, purpose = 'document' } = {}) {
      const prefix = purpose === 'query' ? queryPrefix : documentPrefix;
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        signal?.throwIfAborted();
        let current = worker;
        if (!current) {
          current = start();
          await current.ready;
        }
        const vectors = await current.embed(texts.slice(i, i + batchSize).map((text) => prefix + text));
        for (const vector of vectors) out.push(normalised(vector));
      }
      return out;
    },
  };
}
