import { z } from 'zod';

/**
 * The trainer runtime protocol. A trainer is a process started with the
 * path of a JSON job spec as its only argument. It writes one JSON object
 * per line on stdout and nothing else there (stderr is free text, kept for
 * the failure reason); it must write a line at least every stall timeout.
 * It ends with exactly one `done` or `error` line and exits 0. On SIGTERM it
 * should stop soon; it is killed after the grace period. Documented in the
 * README's Training section.
 */
export interface TrainerSpec {
  protocol: 1;
  jobId: string;
  /** The trainer's own directory: checkpoints and the model file go under it. */
  workDir: string;
  /** NDJSON of dataset records (`{id, messages}` or `{id, text}`), already downloaded: a trainer needs no network. */
  trainFile: string;
  validationFile: string | null;
  model: {
    preset: string;
    dModel: number;
    nLayers: number;
    nHeads: number;
    ffnHidden: number;
    ropeTheta: number;
    rmsEps: number;
    tiedEmbeddings: boolean;
  };
  hyperparameters: {
    nEpochs: number;
    batchSize: number;
    /** The absolute peak learning rate (the preset's base rate times the job's multiplier). */
    learningRate: number;
    seed: number;
    contextLength: number;
    vocabSize: number;
    evalEvery: number;
    checkpointEvery: number;
  };
  /** Threads the trainer may use (data parallel). */
  threads: number;
  /** A checkpoint directory written by an earlier attempt of this job: continue from it. */
  resumeFrom: string | null;
  /** Where the final model goes. */
  output: { path: string; format: 'gguf'; fileType: 'f32' | 'f16' };
}

const finite = z.number().finite();
const loss = finite.nullable();

export const trainerLineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']).default('info'), message: z.string().max(4000) }),
  z.object({
    type: z.literal('progress'),
    step: z.number().int().min(0),
    totalSteps: z.number().int().min(0),
    epoch: finite.min(0),
    tokens: z.number().int().min(0),
    tokensPerSecond: finite.min(0).optional(),
  }),
  z.object({ type: z.literal('metric'), step: z.number().int().min(0), trainLoss: loss, validLoss: loss.optional(), validPerplexity: loss.optional() }),
  z.object({
    type: z.literal('checkpoint'),
    step: z.number().int().min(0),
    path: z.string().min(1),
    trainLoss: loss,
    validLoss: loss,
    validPerplexity: loss,
  }),
  z.object({
    type: z.literal('done'),
    modelPath: z.string().min(1),
    format: z.literal('gguf'),
    step: z.number().int().min(0),
    trainedTokens: z.number().int().min(0),
    trainLoss: loss,
    validLoss: loss,
    validPerplexity: loss,
    parameters: z.number().int().min(0),
  }),
  z.object({ type: z.literal('error'), code: z.string().min(1).max(100), message: z.string().max(4000), param: z.string().nullable().optional() }),
]);
export type TrainerLine = z.infer<typeof trainerLineSchema>;
export type DoneLine = Extract<TrainerLine, { type: 'done' }>;
