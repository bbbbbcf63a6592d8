import { parentPort, workerData } from 'node:worker_threads';
import { useWasmBackend } from './backend';
import { LlamaModel, type LlamaConfig } from './llama-model';
import { Trainer, type Batch, type Gradients } from './trainer';

/**
 * A thread with its own wasm backend that computes gradients for the batch
 * rows it is sent, on a copy of the model whose weights arrive with each batch.
 */
export interface GradientRequest {
  weights: Float32Array[];
  batch: Batch;
}

const port = parentPort;
if (!port) throw new Error('gradient-worker runs only as a worker thread');

const { config } = workerData as { config: LlamaConfig };
const ready = useWasmBackend().then(() => new Trainer(LlamaModel.create(config)));

port.on('message', async (request: GradientRequest) => {
  const trainer = await ready;
  trainer.setWeights(request.weights);
  const gradients: Gradients = trainer.gradients(request.batch);
  port.postMessage(gradients, gradients.values.map((v) => v.buffer as ArrayBuffer));
});
port.postMessage('ready');
