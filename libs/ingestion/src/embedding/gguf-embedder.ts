import { access, constants } from 'node:fs/promises';
import path from 'node:path';
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

/** The part of node-llama-cpp this embedder uses. */
interface LlamaCpp {
  getLlama(options: { gpu: false; build: 'never'; logLevel: 'error' | 'warn' }): Promise<{
    loadModel(options: { modelPath: string }): Promise<LlamaModelHandle>;
  }>;
}
interface LlamaModelHandle {
  readonly embeddingVectorSize: number;
  readonly trainContextSize: number;
  tokenize(text: string): number[];
  createEmbeddingContext(options: { contextSize: number; batchSize: number; threads?: number }): Promise<{
    getEmbeddingFor(input: number[]): Promise<{ vector: readonly number[] }>;
  }>;
}

// A CommonJS build turns `import()` into `require()`, which cannot load node-llama-cpp
// (an ES module with top-level await); a function body keeps the real dynamic import.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

async function loadLlamaCpp(specifier: string): Promise<LlamaCpp> {
  try {
    return (await importModule(specifier)) as LlamaCpp;
  } catch (error) {
    throw new EmbedderError(`the GGUF embedder needs the ${specifier} package, which could not be loaded: ${(error as Error).message}`, {
      permanent: true,
      cause: error,
    });
  }
}

/**
 * Embeddings computed in this process by llama.cpp (through node-llama-cpp, on
 * the CPU) from a GGUF model the user provides: no server and no network. The
 * dimension is the model's. Texts longer than the context are cut to it, and
 * vectors are L2-normalised like every other embedder's. One text is evaluated
 * at a time, so queries interleave with documents being indexed.
 */
export async function loadGgufEmbedder(options: GgufEmbedderOptions): Promise<Embedder> {
  const { modelPath, threads, batchSize = 16, queryPrefix = '', documentPrefix = '' } = options;
  try {
    await access(modelPath, constants.R_OK);
  } catch (error) {
    throw new EmbedderError(`the GGUF embedding model ${modelPath} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      permanent: true,
      cause: error,
    });
  }
  const llamaCpp = await loadLlamaCpp(options.llamaCppModule ?? 'node-llama-cpp');
  let model: LlamaModelHandle;
  let context: Awaited<ReturnType<LlamaModelHandle['createEmbeddingContext']>>;
  let contextSize: number;
  try {
    const llama = await llamaCpp.getLlama({ gpu: false, build: 'never', logLevel: 'error' });
    model = await llama.loadModel({ modelPath });
    contextSize = Math.max(8, Math.min(options.contextSize ?? 2048, model.trainContextSize || 2048));
    // A whole text is one batch: encoder models (BERT, nomic) cannot split a sequence across batches.
    context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, ...(threads ? { threads } : {}) });
  } catch (error) {
    throw new EmbedderError(`llama.cpp could not load ${modelPath} as an embedding model: ${(error as Error).message}`, { permanent: true, cause: error });
  }
  const dimension = model.embeddingVectorSize;
  if (!Number.isInteger(dimension) || dimension < 1) throw new EmbedderError(`${modelPath} reports no embedding size`, { permanent: true });
  const name = ggufEmbedderName(modelPath);

  let queue: Promise<unknown> = Promise.resolve();
  /** One evaluation at a time on the one context. */
  function serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  }

  // A text without tokens (or one whose embedding is all zeros) has no cosine: a fixed unit vector instead.
  const unit = () => Array.from({ length: dimension }, (_, i) => (i === 0 ? 1 : 0));

  async function embedOne(text: string): Promise<number[]> {
    const tokens = model.tokenize(text);
    if (!tokens.length) return unit();
    // Room for the BOS/EOS tokens llama.cpp adds around the input.
    const input = tokens.length > contextSize - 2 ? tokens.slice(0, contextSize - 2) : tokens;
    let vector: readonly number[];
    try {
      ({ vector } = await serialized(() => context.getEmbeddingFor(input)));
    } catch (error) {
      throw new EmbedderError(`llama.cpp failed to embed a text with ${name}: ${(error as Error).message}`, { permanent: true, cause: error });
    }
    if (vector.length !== dimension) throw new EmbedderError(`${name} returned ${vector.length} numbers instead of ${dimension}`, { permanent: true });
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm);
    if (!Number.isFinite(norm)) throw new EmbedderError(`${name} returned an embedding that is not finite`, { permanent: true });
    if (norm === 0) return unit();
    return vector.map((v) => v / norm);
  }

  return {
    name,
    dimension,
    async embed(texts, { signal, purpose = 'document' } = {}) {
      const prefix = purpose === 'query' ? queryPrefix : documentPrefix;
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i++) {
        if (i % batchSize === 0) signal?.throwIfAborted();
        out.push(await embedOne(prefix + texts[i]));
      }
      return out;
    },
  };
}
