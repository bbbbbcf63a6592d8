import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Selects tfjs's WebAssembly backend (SIMD, one thread per process). The cpu
 * backend is several times slower and lacks nothing we need; wasm lacks the
 * gradient of gather, which is why embeddings are looked up as one-hot matmuls.
 */
export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() === 'wasm') return;
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
  await tf.ready();
}

export { tf };
