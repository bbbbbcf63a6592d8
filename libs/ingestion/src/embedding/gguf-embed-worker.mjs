// Computes embeddings with llama.cpp (node-llama-cpp, CPU only) on a worker
// thread of the service that loaded the GGUF embedder: node-llama-cpp is ESM
// with top-level await, which the CommonJS service cannot require, and the
// service's event loop keeps answering requests while a long document is embedded.
// Protocol (worker messages):
// out {type:"ready", dimension, contextSize} | {type:"failed", stage:"import"|"load", message}
// in  {id, texts}   out {type:"vectors", id, vectors} | {type:"error", id, message}
// A vector is a Float64Array, or null for a text without tokens.
import { parentPort, workerData } from 'node:worker_threads';

const { modelPath, contextSize: wanted, threads, llamaCppModule } = workerData;
const post = (message, transfer) => parentPort.postMessage(message, transfer);

async function load() {
  let llamaCpp;
  try {
    llamaCpp = await import(llamaCppModule);
  } catch (error) {
    post({ type: 'failed', stage: 'import', message: error.message });
    return null;
  }
  try {
    const llama = await llamaCpp.getLlama({ gpu: false, build: 'never', logLevel: 'error' });
    const model = await llama.loadModel({ modelPath });
    const contextSize = Math.max(8, Math.min(wanted, model.trainContextSize || 2048));
    // A whole text is one batch: encoder models (BERT, nomic) cannot split a sequence across batches.
    const context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, ...(threads ? { threads } : {}) });
    post({ type: 'ready', dimension: model.embeddingVectorSize, contextSize });
    return { model, context, contextSize };
  } catch (error) {
    post({ type: 'failed', stage: 'load', message: error.message });
    return null;
  }
}

const loaded = await load();
if (loaded) {
  const { model, context, contextSize } = loaded;
  // Requests are answered in order, one text at a time on the one context.
  let queue = Promise.resolve();
  parentPort.on('message', ({ id, texts }) => {
    queue = queue.then(async () => {
      try {
        const vectors = [];
        for (const text of texts) {
          const tokens = model.tokenize(text);
          if (!tokens.length) {
            vectors.push(null);
            continue;
          }
          // Room for the BOS/EOS tokens llama.cpp adds around the input.
          const input = tokens.length > contextSize - 2 ? tokens.slice(0, contextSize - 2) : tokens;
          const { vector } = await context.getEmbeddingFor(input);
          vectors.push(Float64Array.from(vector));
        }
        post({ type: 'vectors', id, vectors }, vectors.filter(Boolean).map((v) => v.buffer));
      } catch (error) {
        post({ type: 'error', id, message: error.message });
      }
    });
  });
}
