import { Tokenizer } from '../tokenizer/tokenizer';
import { useWasmBackend } from './backend';
import { DataParallelTrainer } from './data-parallel';
import { LlamaModel, defaultLlamaConfig, type LlamaConfig } from './llama-model';
import { Trainer, createBatcher } from './trainer';

const tokenizer = new Tokenizer();
const config: LlamaConfig = { ...defaultLlamaConfig, vocabSize: tokenizer.vocabSize, dModel: 16, nHeads: 2, ffnHidden: 32, nLayers: 1, contextLength: 16 };
const data = [tokenizer.encodeText('one two three four five six seven eight nine ten '.repeat(4))];

beforeAll(useWasmBackend);

describe('DataParallelTrainer', () => {
  it('makes the same updates as one thread on the whole batch', async () => {
    const single = new Trainer(LlamaModel.create(config, { seed: 4 }));
    const parallel = await DataParallelTrainer.start(new Trainer(LlamaModel.create(config, { seed: 4 })), { workers: 1 });
    try {
      const a = createBatcher(data, { batchSize: 6, seqLen: 16, seed: 9 });
      const b = createBatcher(data, { batchSize: 6, seqLen: 16, seed: 9 });
      for (let i = 0; i < 3; i++) {
        const expected = single.trainStep(a());
        expect(await parallel.trainStep(b())).toBeCloseTo(expected, 4);
      }
      const w1 = single.getWeights();
      const w2 = parallel.trainer.getWeights();
      const maxDiff = Math.max(...w1.map((w, i) => Math.max(...w.map((x, j) => Math.abs(x - w2[i][j])))));
      expect(maxDiff).toBeLessThan(1e-4);
      expect(parallel.trainer.step).toBe(3);
    } finally {
      await parallel.close();
      single.dispose();
      parallel.trainer.dispose();
    }
  }, 60_000);
});
