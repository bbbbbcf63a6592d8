import type { EmbedderSpec } from '@llmp/contracts';
import type { Embedder } from './embedder';
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

export interface EmbedderCatalogOptions {
  /** An OpenAI-compatible server, offered as `openai:<model>`. */
  openAi?: Omit<OpenAiEmbedderOptions, 'dimension'> & { dimension: number };
  defaultSpec?: EmbedderSpec;
}

export function createEmbedderCatalog({ openAi, defaultSpec = { name: HASHING_EMBEDDER, dimension: 384 } }: EmbedderCatalogOptions = {}): EmbedderCatalog {
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
      return choices;
    },
    problem({ name, dimension }) {
      if (name === HASHING_EMBEDDER) return dimension >= 16 && dimension <= 4096 ? null : `${HASHING_EMBEDDER} takes a dimension between 16 and 4096`;
      if (openAi && name === openAiName) {
        return dimension === openAi.dimension ? null : `${name} produces ${openAi.dimension}-dimensional vectors, not ${dimension}`;
      }
      return `embedder "${name}" is not available here; choose one of: ${catalog.list().map((c) => c.name).join(', ')}`;
    },
    resolve(spec) {
      const problem = catalog.problem(spec);
      if (problem) throw new Error(problem);
      const key = `${spec.name}/${spec.dimension}`;
      let embedder = cache.get(key);
      if (!embedder) {
        embedder = spec.name === HASHING_EMBEDDER ? createHashingEmbedder({ dimension: spec.dimension }) : createOpenAiEmbedder(openAi!);
        cache.set(key, embedder);
      }
      return embedder;
    },
  };
  const defaultProblem = catalog.problem(defaultSpec);
  if (defaultProblem) throw new Error(`the default embedder is unusable: ${defaultProblem}`);
  return catalog;
}
