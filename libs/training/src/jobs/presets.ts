/**
 * The architectures the built-in trainer trains from scratch. The model
 * shape is fixed by the preset; the vocabulary comes from the job's
 * tokenizer and the context length from its hyperparameters (up to the
 * preset's maximum).
 */
export interface LlamaConfigShape {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  ffnHidden: number;
  contextLength: number;
  ropeTheta: number;
  rmsEps: number;
  tiedEmbeddings: boolean;
}

export interface ModelPreset {
  name: string;
  description: string;
  shape: Omit<LlamaConfigShape, 'vocabSize' | 'contextLength'>;
  maxContextLength: number;
}

export const MODEL_PRESETS: readonly ModelPreset[] = [
  {
    name: 'llmp-llama-tiny',
    description: 'llama architecture, 2 layers of width 32: seconds per epoch on small datasets',
    shape: { dModel: 32, nLayers: 2, nHeads: 4, ffnHidden: 86, ropeTheta: 10000, rmsEps: 1e-5, tiedEmbeddings: true },
    maxContextLength: 128,
  },
  {
    name: 'llmp-llama-small',
    description: 'llama architecture, 2 layers of width 64 (the benchmarked model)',
    shape: { dModel: 64, nLayers: 2, nHeads: 4, ffnHidden: 172, ropeTheta: 10000, rmsEps: 1e-5, tiedEmbeddings: true },
    maxContextLength: 256,
  },
  {
    name: 'llmp-llama-base',
    description: 'llama architecture, 4 layers of width 128',
    shape: { dModel: 128, nLayers: 4, nHeads: 4, ffnHidden: 344, ropeTheta: 10000, rmsEps: 1e-5, tiedEmbeddings: true },
    maxContextLength: 512,
  },
];

export const DEFAULT_PRESET = 'llmp-llama-small';

export function findPreset(name: string): ModelPreset | undefined {
  return MODEL_PRESETS.find((p) => p.name === name);
}

export function parameterCount(c: LlamaConfigShape): number {
  const perLayer = 2 * c.dModel + 4 * c.dModel * c.dModel + 3 * c.dModel * c.ffnHidden;
  return c.vocabSize * c.dModel + c.nLayers * perLayer + c.dModel + (c.tiedEmbeddings ? 0 : c.dModel * c.vocabSize);
}
