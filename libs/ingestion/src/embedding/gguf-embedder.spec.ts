import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aGgufEmbeddingModel } from '../testing/gguf-embedding-model';
import { EmbedderError, type Embedder } from './embedder';
import { createEmbedderCatalog, ggufChoice } from './embedder-catalog';
import { loadGgufEmbedder } from './gguf-embedder';

const prebuilt = `@node-llama-cpp/${process.platform}-${process.arch}`;
// The package exports no package.json, so look for its binaries along Node's search paths.
const hasLlamaCpp = (require.resolve.paths(prebuilt) ?? []).some((p) => existsSync(join(p, prebuilt, 'bins')));
const describeWithLlamaCpp = hasLlamaCpp ? describe : describe.skip;
const skipReason = hasLlamaCpp ? '' : ` (skipped: node-llama-cpp's prebuilt binary ${prebuilt} is not installed)`;

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmp-gguf-embedder-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describeWithLlamaCpp(`GGUF embedder${skipReason}`, () => {
  let embedder: Embedder;
  beforeAll(async () => {
    const modelPath = join(dir, 'tiny-embed.Q0.gguf');
    await writeFile(modelPath, aGgufEmbeddingModel({ dimension: 48 }));
    embedder = await loadGgufEmbedder({ modelPath, threads: 1, queryPrefix: 'query: ', contextSize: 64 });
  });

  it('is named after the model file and reads its dimension from the model', () => {
    expect(embedder.name).toBe('gguf:tiny-embed.Q0');
    expect(embedder.dimension).toBe(48);
  });

  it('gives one unit vector per text, the same one for the same text', async () => {
    const texts = ['Replace the pump seals every 2000 hours.', 'The cafeteria serves lunch from noon.', 'Replace the pump seals every 2000 hours.', ''];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(4);
    for (const v of vectors) {
      expect(v).toHaveLength(48);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);
  });

  it('embeds a text longer than its context by cutting it, and queries with their prefix', async () => {
    const long = 'seal pump hours '.repeat(100);
    const [cut, start] = await embedder.embed([long, long.slice(0, 62)]);
    expect(cut).toEqual(start);
    const [asQuery] = await embedder.embed(['pump seals'], { purpose: 'query' });
    const [asDocument] = await embedder.embed(['pump seals']);
    const [prefixed] = await embedder.embed(['query: pump seals']);
    expect(asQuery).toEqual(prefixed);
    expect(asQuery).not.toEqual(asDocument);
  });

  it('stops between texts when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the user'));
    await expect(embedder.embed(['a', 'b'], { signal: controller.signal })).rejects.toThrow('cancelled by the user');
  });
});

describe('GGUF embedder that cannot run', () => {
  it('says which model file cannot be read', async () => {
    const missing = join(dir, 'nomic-embed-text.gguf');
    const error = await loadGgufEmbedder({ modelPath: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbedderError);
    expect((error as Error).message).toBe(`the GGUF embedding model ${missing} cannot be read: ENOENT`);
  });

  it('says that node-llama-cpp is missing when it cannot be loaded', async () => {
    const modelPath = join(dir, 'present.gguf');
    await writeFile(modelPath, aGgufEmbeddingModel());
    const error = await loadGgufEmbedder({ modelPath, llamaCppModule: 'node-llama-cpp-not-installed' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbedderError);
    expect((error as Error).message).toMatch(/^the GGUF embedder needs the node-llama-cpp-not-installed package, which could not be loaded: /);
  });

  it('says that a file llama.cpp cannot load is not a model', async () => {
    const modelPath = join(dir, 'not-a-model.gguf');
    await writeFile(modelPath, 'this is text, not GGUF');
    const error = await loadGgufEmbedder({ modelPath, threads: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbedderError);
    expect((error as Error).message).toMatch(new RegExp(`(llama.cpp could not load .*not-a-model.gguf|needs the node-llama-cpp package)`));
  });

  it('starts its llama.cpp worker again after it died, failing only the texts it was embedding', async () => {
    // A stand-in for node-llama-cpp whose model stops its thread on the text "die": what a native crash looks like from here.
    const runtime = join(dir, 'dying-llama.mjs');
    await writeFile(
      runtime,
      `export async function getLlama() {
        return { async loadModel() {
          return { embeddingVectorSize: 3, trainContextSize: 64, tokenize: (t) => [...t].map((c) => c.charCodeAt(0)),
            async createEmbeddingContext() {
              return { async getEmbeddingFor(tokens) {
                if (String.fromCharCode(...tokens) === 'die') process.exit(7);
                return { vector: [tokens.length, 1, 0] };
              } };
            } };
        } };
      }`,
    );
    const modelPath = join(dir, 'dying.gguf');
    await writeFile(modelPath, aGgufEmbeddingModel());
    const embedder = await loadGgufEmbedder({ modelPath, llamaCppModule: runtime });
    expect(embedder.dimension).toBe(3);
    const error = await embedder.embed(['fine', 'die']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbedderError);
    expect((error as EmbedderError).permanent).toBe(false);
    expect((error as Error).message).toBe('the llama.cpp worker for gguf:dying stopped: exit code 7');
    const [vector] = await embedder.embed(['again']);
    expect(vector.map((v) => Math.round(v * 1000) / 1000)).toEqual([0.981, 0.196, 0]);
  });

  it('is listed by the catalog as unavailable, with the reason, instead of failing the service', async () => {
    const missing = join(dir, 'bge-small.gguf');
    const catalog = createEmbedderCatalog({ gguf: await ggufChoice({ modelPath: missing }) });
    expect(catalog.list().map((c) => c.name)).toEqual(['hashing-ngram-v1']);
    expect(catalog.problem({ name: 'gguf:bge-small', dimension: 384 })).toBe(
      `embedder "gguf:bge-small" is configured but unavailable: the GGUF embedding model ${missing} cannot be read: ENOENT`,
    );
    expect(() => catalog.resolve({ name: 'gguf:bge-small', dimension: 384 })).toThrow(EmbedderError);
    expect(() => createEmbedderCatalog({ gguf: { name: 'gguf:bge-small', modelPath: missing, problem: 'gone' }, defaultSpec: { name: 'gguf:bge-small', dimension: 384 } })).toThrow(
      'the default embedder is unusable: embedder "gguf:bge-small" is configured but unavailable: gone',
    );
  });
});
