import type { EmbedderSpec } from '@llmp/contracts';
import path from 'node:path';
import { EmbedderError, type Embedder } from './embedder';
import { ggufEmbedderName, loadGgufEmbedder, type GgufEmbedderOptions } from './gguf-embedder';
import { createHashingEmbedder, HASHING_EMBEDDER } from './hashing-embedder';
import { createOpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder';

export interface EmbedderChoice {
  name: string;
  /** `any` when the dimension is the caller's choice. */
  dimensions: number[] | 'any';
  description: string;
}

/** The embedders this deployment can run, by the name a knowledge base pins. */
export interface EmbedderCatalog {
  readonly defaultSpec: EmbedderSpec;
  list(): EmbedderChoice[];
  /** Why `spec` cannot be used here, or null when it can. */
  problem(spec: EmbedderSpec): string | null;
  /** The embedder for a valid spec; throws with `problem`'s message otherwise. */
  resolve(spec: EmbedderSpec): Embedder;
}

/** A configured GGUF model: its embedder once loaded, or why it could not be. */
export type GgufChoice = { name: string; modelPath: string } & ({ embedder: Embedder } | { problem: string });

export interface EmbedderCatalogOptions {
  /** An OpenAI-compatible server, offered as `openai:<model>`. */
  openAi?: Omit<OpenAiEmbedderOptions, 'dimension'> & { dimension: number };
  /** A local GGUF embedding model run by llama.cpp in this process, offered as `gguf:<file name>` (see `ggufChoice`). */
  gguf?: GgufChoice;
  defaultSpec?: EmbedderSpec;
}

/** Loads the configured GGUF model; a missing file or missing node-llama-cpp becomes the choice's `problem`, not a crash. */
export async function ggufChoice(options: GgufEmbedderOptions): Promise<GgufChoice> {
  const name = ggufEmbedderName(options.modelPath);
  try {
    return { name, modelPath: options.modelPath, embedder: await loadGgufEmbedder(options) };
  } catch (error) {
    return { name, modelPath: options.modelPath, problem: (error as Error).message };
  }
}

export function createEmbedderCatalog({ openAi, gguf, defaultSpec = { name: HASHING_EMBEDDER, dimension: 384 } }: EmbedderCatalogOptions = {}): EmbedderCatalog {
  const cache = new Map<string, Embedder>();
  const openAiName = openAi ? `openai:${openAi.model}` : null;

  const catalog: EmbedderCatalog = {
    defaultSpec,
    list() {
      const choices: EmbedderChoice[] = [
        { name: HASHING_EMBEDDER, dimensions: 'any', description: 'built in: hashed word and character n-grams, no model download' },
      ];
      if (openAi && openAiName) {
        choices.push({ name: openAiName, dimensions: [openAi.dimension], description: `OpenAI-compatible server at ${openAi.baseUrl}` });
      }
      if (gguf && 'embedder' in gguf) {
        choices.push({ name: gguf.name, dimensions: [gguf.embedder.dimension], description: `GGUF model ${path.basename(gguf.modelPath)}, run by llama.cpp in this process` });
      }
      return choices;
    },
    problem({ name, dimension }) {
      if (name === HASHING_EMBEDDER) return dimension >= 16 && dimension <= 4096 ? null : `${HASHING_EMBEDDER} takes a dimension between 16 and 4096`;
      if (openAi && name === openAiName) {
        return dimension === openAi.dimension ? null : `${name} produces ${openAi.dimension}-dimensional vectors, not ${dimension}`;
      }
      if (gguf && name === gguf.name) {
        if ('problem' in gguf) return `embedder "${name}" is configured but unavailable: ${gguf.problem}`;
        return dimension === gguf.embedder.dimension ? null : `${name} produces ${gguf.embedder.dimension}-dimensional vectors, not ${dimension}`;
      }
      return `embedder "${name}" is not available here; choose one of: ${catalog.list().map((c) => c.name).join(', ')}`;
    },
    resolve(spec) {
      const problem = catalog.problem(spec);
      if (problem) throw new EmbedderError(problem, { permanent: true });
      const key = `${spec.name}/${spec.dimension}`;
      let embedder = cache.get(key);
      if (!embedder) {
        if (spec.name === HASHING_EMBEDDER) embedder = createHashingEmbedder({ dimension: spec.dimension });
        else if (gguf && spec.name === gguf.name && 'embedder' in gguf) embedder = gguf.embedder;
        else embedder = createOpenAiEmbedder(openAi!);
        cache.set(key, embedder);
      }
      return embedder;
    },
  };
  const defaultProblem = catalog.problem(defaultSpec);
  if (defaultProblem) throw new Error(`the default embedder is unusable: ${defaultProblem}`);
  return catalog;
}
