import { unprocessable } from '@llmp/core';
import { DEFAULT_CHUNK_TOKENS } from '../model/fused/chunk';
import type { Hyperparameters, JobEstimate } from './job';
import { parameterCount, type LlamaConfigShape } from './presets';

/**
 * This machine's speed for the built-in trainer: sustained arithmetic of one
 * thread's training step and the fixed cost of a step (the optimizer, the
 * threads' hand-off), which dominates for small batches. The defaults sit
 * below what the fused kernels measured here on one core (12 GFLOP/s at
 * width 32, 19 at 64, 24 at 128; `npm run bench:train`), so estimates err
 * long rather than short.
 */
export interface Calibration {
  flopsPerSecond: number;
  secondsPerStep: number;
  /** Start-up: the process, tfjs's wasm backend, the tokenizer. */
  startupSeconds: number;
}

export const DEFAULT_CALIBRATION: Calibration = { flopsPerSecond: 8e9, secondsPerStep: 0.01, startupSeconds: 5 };

export interface Limits {
  memoryBytes: number;
  seconds: number;
}

export interface PreflightInput {
  config: LlamaConfigShape;
  hyperparameters: Hyperparameters;
  /** Upper bound of the training split's tokens (its bytes, plus the special tokens around each message). */
  tokensPerEpoch: number;
  threads: number;
}

/** Training FLOPs per token: 6 per weight of every matmul (forward and backward), the tied output included, plus attention. */
export function flopsPerToken(c: LlamaConfigShape): number {
  const matmuls = c.nLayers * (4 * c.dModel * c.dModel + 3 * c.dModel * c.ffnHidden) + 2 * c.vocabSize * c.dModel;
  return 6 * matmuls + 6 * c.nLayers * 2 * c.contextLength * c.dModel;
}

const MB = 1024 * 1024;
/** Node, tfjs, its wasm backend and the kernels' module of each thread before any tensor. */
const RUNTIME_BYTES_PER_THREAD = 160 * MB;

export function estimateJob({ config, hyperparameters: hp, tokensPerEpoch, threads }: PreflightInput, calibration: Calibration, limits: Limits): JobEstimate {
  const parameters = parameterCount(config);
  const stepsPerEpoch = Math.max(1, Math.ceil(tokensPerEpoch / (hp.batchSize * hp.contextLength)));
  const totalSteps = hp.nEpochs * stepsPerEpoch;
  // Main thread: master weights, both AdamW moments, the tfjs model's copy, the kernels' weights and gradient, the averaged
  // gradient; each other thread: the kernels' weights and gradient, the tfjs model, the weights it is sent and the gradient it returns.
  const parameterBytes = parameters * 4 * (7 + 5 * (threads - 1));
  // Activations the fused passes keep for the backward step, per token: each layer's eight d-wide rows, three SwiGLU rows,
  // its attention row per head and two norms, then the final rows, the logits and the backward step's scratch rows.
  const { dModel: d, ffnHidden: ff, nHeads, nLayers, vocabSize, contextLength } = config;
  const perToken = nLayers * (8 * d + 3 * ff + nHeads * contextLength + 2) + 8 * d + 3 * ff + vocabSize + 1;
  // A thread works through its rows of the batch a chunk at a time.
  const tokensHeld = Math.min(Math.ceil(hp.batchSize / threads) * hp.contextLength, Math.max(DEFAULT_CHUNK_TOKENS, hp.contextLength));
  const activationBytes = threads * tokensHeld * perToken * 4;
  const memoryBytes = Math.round(parameterBytes + activationBytes + RUNTIME_BYTES_PER_THREAD * threads);
  const tokensPerStep = hp.batchSize * hp.contextLength;
  const secondsPerStep = calibration.secondsPerStep + (tokensPerStep * flopsPerToken(config)) / (calibration.flopsPerSecond * Math.max(1, threads * 0.8));
  const seconds = Math.ceil(calibration.startupSeconds + totalSteps * secondsPerStep * 1.1);
  return { parameters, memoryBytes, tokensPerEpoch, totalSteps, seconds, limits };
}

/** Refuses, with the numbers, a job that would not fit the memory or time it is allowed. */
export function assertFits(estimate: JobEstimate): void {
  const problems: string[] = [];
  const { limits } = estimate;
  if (estimate.memoryBytes > limits.memoryBytes) problems.push(`about ${Math.ceil(estimate.memoryBytes / MB)} MB of memory (the limit is ${Math.floor(limits.memoryBytes / MB)} MB)`);
  if (estimate.seconds > limits.seconds) problems.push(`about ${estimate.seconds} s (the limit is ${limits.seconds} s)`);
  if (problems.length === 0) return;
  throw unprocessable({
    code: 'job_exceeds_limits',
    message: `this job would need ${problems.join(' and ')}: ${estimate.parameters} parameters, ${estimate.tokensPerEpoch} tokens per epoch, ${estimate.totalSteps} steps; use a smaller model, fewer epochs or a shorter context`,
    details: estimate,
  });
}
