import { Worker } from 'node:worker_threads';
import { workerEntry } from '@llmp/core';
import type { GradientRequest } from './gradient-worker';
import type { Batch, Gradients, Trainer } from './trainer';

export interface DataParallelOptions {
  /** Worker threads besides the calling one; 1 uses both cores of a 2-core machine. */
  workers: number;
}

function sliceRows(batch: Batch, from: number, to: number): Batch {
  const a = from * batch.seqLen;
  const b = to * batch.seqLen;
  return { inputs: batch.inputs.slice(a, b), targets: batch.targets.slice(a, b), weights: batch.weights.slice(a, b), batchSize: to - from, seqLen: batch.seqLen };
}

/**
 * Splits each batch by rows between the calling thread and worker threads,
 * each on its own wasm backend, and applies the weight-averaged gradients
 * once. The result is the same update as one thread on the whole batch, up
 * to float summation order.
 */
export class DataParallelTrainer {
  private constructor(
    readonly trainer: Trainer,
    private readonly workers: Worker[],
  ) {}

  static async start(trainer: Trainer, { workers }: DataParallelOptions): Promise<DataParallelTrainer> {
    const started = await Promise.all(
      Array.from({ length: workers }, async () => {
        const { filename, execArgv } = workerEntry(__dirname, 'gradient-worker');
        const worker = new Worker(filename, { execArgv, workerData: { config: trainer.model.config } });
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        });
        return worker;
      }),
    );
    return new DataParallelTrainer(trainer, started);
  }

  async trainStep(batch: Batch, options: { learningRate?: number } = {}): Promise<number> {
    const parts = this.workers.length + 1;
    if (batch.batchSize < parts) throw new Error(`a batch of ${batch.batchSize} rows cannot be split over ${parts} threads`);
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * batch.batchSize) / parts));
    const weights = this.trainer.getWeights();
    const pending = this.workers.map(
      (worker, i) =>
        new Promise<Gradients>((resolve, reject) => {
          const fail = (err: Error) => reject(err);
          worker.once('error', fail);
          worker.once('message', (g: Gradients) => {
            worker.off('error', fail);
            resolve(g);
          });
          const request: GradientRequest = { weights, batch: sliceRows(batch, bounds[i + 1], bounds[i + 2]) };
          worker.postMessage(request);
        }),
    );
    const local = this.trainer.gradients(sliceRows(batch, bounds[0], bounds[1]));
    const all = [local, ...(await Promise.all(pending))];
    const total = all.reduce((s, g) => s + g.weight, 0);
    const averaged = local.values.map((v, p) => {
      const out = new Float32Array(v.length);
      for (const g of all) {
        const share = total > 0 ? g.weight / total : 1 / all.length;
        const gv = g.values[p];
        for (let j = 0; j < out.length; j++) out[j] += gv[j] * share;
      }
      return out;
    });
    this.trainer.apply(averaged, options);
    return all.reduce((s, g) => s + (total > 0 ? (g.loss * g.weight) / total : g.loss / all.length), 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
