import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useWasmBackend } from '../model/backend';
import { LlamaModel, defaultLlamaConfig } from '../model/llama-model';
import { Trainer, createBatcher, defaultAdamW } from '../model/trainer';
import { trainBpe } from '../tokenizer/bpe-trainer';
import { encodeLlamaGguf } from './llama-gguf';

interface LlamaCppResult {
  modelPath: string;
  tokens: number[];
  detokenized: string;
  bos: number;
  eos: number;
}

const prebuilt = `@node-llama-cpp/${process.platform}-${process.arch}`;
function hasLlamaCppBinary(): boolean {
  // The package exports no package.json, so look for its binaries along Node's search paths.
  return (require.resolve.paths(prebuilt) ?? []).some((p) => existsSync(join(p, prebuilt, 'bins')));
}
const describeWithLlamaCpp = hasLlamaCppBinary() ? describe : describe.skip;
const skipReason = hasLlamaCppBinary() ? '' : ` (skipped: node-llama-cpp's prebuilt binary ${prebuilt} is not installed)`;

const text = 'the quick brown fox jumps over the lazy dog. the lazy dog sleeps under the old tree. '.repeat(12);

describeWithLlamaCpp(`GGUF export run by llama.cpp${skipReason}`, () => {
  let dir: string;
  beforeAll(async () => {
    await useWasmBackend();
    dir = await mkdtemp(join(tmpdir(), 'llmp-gguf-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('continues a prompt greedily token for token like the trainer, from F32 and F16 files', async () => {
    const tokenizer = trainBpe([text], { vocabSize: 300 });
    const trainer = new Trainer(LlamaModel.create({ ...defaultLlamaConfig, vocabSize: tokenizer.vocabSize, dModel: 32, nHeads: 4, ffnHidden: 64, nLayers: 2, contextLength: 48 }, { seed: 11 }), { ...defaultAdamW, learningRate: 1e-2 });
    const next = createBatcher([tokenizer.encodeText(text)], { batchSize: 8, seqLen: 32, seed: 2 });
    for (let i = 0; i < 40; i++) trainer.trainStep(next());
    const model = trainer.model;

    const prompt = [tokenizer.bosId, ...tokenizer.encode('the lazy')];
    const expected = model.generateGreedy(prompt, 16);
    // A continuation that is all one token would pass for reasons unrelated to the export.
    expect(new Set(expected).size).toBeGreaterThan(3);

    const paths = { f32: join(dir, 'model-f32.gguf'), f16: join(dir, 'model-f16.gguf') };
    for (const fileType of ['f32', 'f16'] as const) await writeFile(paths[fileType], encodeLlamaGguf(model.config, model.weights(), tokenizer, { fileType }));
    const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'llama-cpp-greedy.mjs'), JSON.stringify({ modelPaths: [paths.f32, paths.f16], prompt, maxTokens: 16 })], { timeout: 50_000 });
    const results = JSON.parse(stdout) as LlamaCppResult[];

    expect(results.map((r) => r.tokens)).toEqual([expected, expected]);
    expect(results.map((r) => r.detokenized)).toEqual([tokenizer.decode(expected), tokenizer.decode(expected)]);
    expect(results[0]).toMatchObject({ bos: tokenizer.bosId, eos: tokenizer.eosId });
    trainer.dispose();
  }, 90_000);
});
