import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// Tests only: the training library's own writer makes a real GGUF, so the service is tested on what the trainer exports.
// eslint-disable-next-line @nx/enforce-module-boundaries -- a test helper; the service itself never loads the training library
import { encodeLlamaGguf, LlamaModel, defaultLlamaConfig, trainBpe, useWasmBackend } from '@llmp/training/built-in-trainer';

const prebuilt = `@node-llama-cpp/${process.platform}-${process.arch}`;

/** Whether llama.cpp's prebuilt binary for this machine is installed (node-llama-cpp is a dev dependency). */
export function hasLlamaCppBinary(): boolean {
  return (require.resolve.paths(prebuilt) ?? []).some((p) => existsSync(join(p, prebuilt, 'bins')));
}

const TEXT = 'the agent answers questions about the platform. the platform serves agents over an openai api. '.repeat(8);

export interface TinyGgufShape {
  dModel: number;
  nLayers: number;
  ffnHidden: number;
  contextLength: number;
}

/** A small llama-architecture model with untrained weights, written as an F32 GGUF file at `path`. */
export async function writeTinyGguf(path: string, shape: Partial<TinyGgufShape> = {}): Promise<void> {
  await useWasmBackend();
  const tokenizer = trainBpe([TEXT], { vocabSize: 300 });
  const { dModel, nLayers, ffnHidden, contextLength } = { dModel: 32, nLayers: 2, ffnHidden: 64, contextLength: 256, ...shape };
  const model = LlamaModel.create({ ...defaultLlamaConfig, vocabSize: tokenizer.vocabSize, dModel, nHeads: 4, ffnHidden, nLayers, contextLength }, { seed: 7 });
  await writeFile(path, encodeLlamaGguf(model.config, model.weights(), tokenizer, { fileType: 'f32' }));
}
