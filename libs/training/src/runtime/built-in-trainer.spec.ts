import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { chatRecords, toNdjson } from '../testing/records';
import { builtInTrainerCommand } from './built-in-trainer-command';
import type { TrainerLine, TrainerSpec } from './protocol';
import { superviseTrainer } from './supervisor';

const SUPERVISION = { stallTimeoutMs: 60_000, killGraceMs: 2000 };

describe('the built-in trainer process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmp-trainer-'));
    await writeFile(join(dir, 'train.ndjson'), toNdjson(chatRecords(24)));
    await writeFile(join(dir, 'validation.ndjson'), toNdjson(chatRecords(6, 'val')));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const specFor = async (name: string, changes: Partial<TrainerSpec> = {}): Promise<string> => {
    const workDir = join(dir, name);
    const spec: TrainerSpec = {
      protocol: 1,
      jobId: 'ftjob_trainer_spec',
      workDir,
      trainFile: join(dir, 'train.ndjson'),
      validationFile: join(dir, 'validation.ndjson'),
      model: { preset: 'llmp-llama-tiny', dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32, ropeTheta: 10000, rmsEps: 1e-5, tiedEmbeddings: true },
      hyperparameters: { nEpochs: 2, batchSize: 4, learningRate: 1e-2, seed: 7, contextLength: 32, vocabSize: 300, evalEvery: 4, checkpointEvery: 4 },
      threads: 1,
      resumeFrom: null,
      output: { path: join(workDir, 'model.gguf'), format: 'gguf', fileType: 'f32' },
      ...changes,
    };
    await writeFile(join(dir, `${name}.json`), JSON.stringify(spec));
    return join(dir, `${name}.json`);
  };
  const train = async (specPath: string, { cancelAtCheckpoint = false } = {}) => {
    const lines: TrainerLine[] = [];
    const trainer = superviseTrainer(builtInTrainerCommand(), specPath, SUPERVISION, async (line) => {
      lines.push(line);
      if (cancelAtCheckpoint && line.type === 'checkpoint') trainer.cancel();
    });
    return { outcome: await trainer.result, lines };
  };

  it('trains from chat records with validation, checkpoints and a GGUF, the same twice from one seed, and resumes from a checkpoint to the same result', async () => {
    const first = await train(await specFor('first'));
    expect(first.outcome).toMatchObject({ outcome: 'succeeded' });
    if (first.outcome.outcome !== 'succeeded') return;
    const { done } = first.outcome;
    const checkpoints = first.lines.filter((l) => l.type === 'checkpoint');
    const metrics = first.lines.filter((l) => l.type === 'metric');
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints.at(-1)).toMatchObject({ step: done.step });
    expect(metrics.every((m) => typeof m.validLoss === 'number' && m.validLoss > 0)).toBe(true);
    // The first validation comes after a few steps; learning shows as a lower loss at the end.
    expect(metrics.at(-1)!.validLoss!).toBeLessThan(Math.log(300));
    expect(first.lines.filter((l) => l.type === 'progress').map((l) => l.step)).toEqual(Array.from({ length: done.step }, (_, i) => i + 1));
    const gguf = await readFile(done.modelPath);
    expect(gguf.subarray(0, 4).toString('latin1')).toBe('GGUF');

    const again = await train(await specFor('again'));
    expect(again.outcome).toMatchObject({ outcome: 'succeeded', done: { trainLoss: done.trainLoss, validLoss: done.validLoss, step: done.step } });
    expect(await readFile(join(dir, 'again', 'model.gguf'))).toEqual(gguf);

    const interrupted = await train(await specFor('resumed'), { cancelAtCheckpoint: true });
    expect(interrupted.outcome).toEqual({ outcome: 'cancelled' });
    const saved = interrupted.lines.find((l) => l.type === 'checkpoint');
    if (saved?.type !== 'checkpoint') throw new Error('no checkpoint before the cancel');
    const resumed = await train(await specFor('resumed', { resumeFrom: saved.path }));
    expect(resumed.outcome).toMatchObject({ outcome: 'succeeded', done: { step: done.step, validLoss: done.validLoss } });
    expect(resumed.lines.find((l) => l.type === 'progress')).toMatchObject({ step: saved.step + 1 });
    expect(await readFile(join(dir, 'resumed', 'model.gguf'))).toEqual(gguf);
  }, 240_000);

  it('trains from its bundle placed where no node_modules can be found, as the service image runs it', async () => {
    // Built like the image's trainer: tfjs compiled in, its WebAssembly files beside the bundle.
    const bundleDir = await mkdtemp(join(tmpdir(), 'llmp-trainer-bundle-'));
    try {
      await build({ entryPoints: [join(__dirname, 'built-in-trainer.process.ts')], outfile: join(bundleDir, 'built-in-trainer.cjs'), bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
      const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      for (const file of await readdir(wasmDir)) if (file.endsWith('.wasm')) await copyFile(join(wasmDir, file), join(bundleDir, file));
      const lines: TrainerLine[] = [];
      const trainer = superviseTrainer({ command: process.execPath, args: [join(bundleDir, 'built-in-trainer.cjs')], env: { PATH: process.env.PATH } }, await specFor('bundled'), SUPERVISION, async (l) => void lines.push(l));
      const result = await trainer.result;
      expect({ result, log: lines.filter((l) => l.type === 'log').slice(-3) }).toMatchObject({ result: { outcome: 'succeeded' } });
      expect(lines.some((l) => l.type === 'checkpoint')).toBe(true);
    } finally {
      await rm(bundleDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('fails with a reason when the data is smaller than one window', async () => {
    await writeFile(join(dir, 'tiny.ndjson'), toNdjson([{ id: 'r1', text: 'hi' }]));
    const { outcome } = await train(await specFor('tiny', { trainFile: join(dir, 'tiny.ndjson'), validationFile: null }));
    expect(outcome).toEqual({
      outcome: 'failed',
      error: { code: 'training_split_too_small', message: 'the training split has 4 tokens, fewer than one window of 33 (context length + 1)', param: null },
    });
  }, 60_000);
});
