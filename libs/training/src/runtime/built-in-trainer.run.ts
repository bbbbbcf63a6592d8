import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { datasetRecordSchema, type DatasetRecordBody } from '@llmp/contracts';
import { encodeLlamaGguf } from '../gguf/llama-gguf';
import { useWasmBackend } from '../model/backend';
import { DataParallelTrainer } from '../model/data-parallel';
import { LlamaModel, type LlamaConfig } from '../model/llama-model';
import { Trainer, createBatcher, defaultAdamW, sequentialBatches, type Batch } from '../model/trainer';
import { trainBpe } from '../tokenizer/bpe-trainer';
import { SPECIAL_TOKENS, Tokenizer, type TokenizerJson, type WeightedTokens } from '../tokenizer/tokenizer';
import type { TrainerLine, TrainerSpec } from './protocol';

/** Validation batches measured at each evaluation: enough for a stable number, bounded in time. */
const MAX_VALIDATION_BATCHES = 8;

export class TrainerFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const say = (line: TrainerLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
const log = (message: string) => say({ type: 'log', level: 'info', message });

async function readRecords(file: string): Promise<DatasetRecordBody[]> {
  const text = await readFile(file, 'utf8');
  const records: DatasetRecordBody[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new TrainerFailure('invalid_records', `${file} line ${i + 1} is not JSON`);
    }
    const parsed = datasetRecordSchema.safeParse(json);
    if (!parsed.success) throw new TrainerFailure('invalid_records', `${file} line ${i + 1} is not a dataset record: ${parsed.error.issues[0]?.message}`);
    records.push(parsed.data);
  });
  return records;
}

const textsOf = (records: readonly DatasetRecordBody[]) => records.flatMap((r) => ('text' in r ? [r.text] : r.messages.map((m) => m.content)));

function encode(tokenizer: Tokenizer, records: readonly DatasetRecordBody[]): WeightedTokens[] {
  return records.map((r) => ('text' in r ? tokenizer.encodeText(r.text) : tokenizer.encodeChat(r.messages)));
}

/** Warm up linearly, then decay along a cosine to a tenth of the peak. */
function learningRateAt(step: number, total: number, peak: number): number {
  const warmup = Math.max(1, Math.min(20, Math.floor(total / 10)));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return peak * (0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/**
 * The built-in trainer: byte-level BPE trained on the dataset, a llama model
 * from the preset trained from scratch (or resumed from a checkpoint), with
 * loss on assistant tokens for chats and on every token for texts,
 * validation at an interval, checkpoints and a GGUF at the end. The seed
 * fixes the tokenizer, the initial weights and the batch order, and a
 * resumed run draws the same batches it would have drawn without stopping.
 */
export async function runBuiltInTrainer(spec: TrainerSpec, { stopRequested }: { stopRequested: () => boolean }): Promise<void> {
  const hp = spec.hyperparameters;
  log(`reading records from the ${spec.validationFile ? 'training and validation splits' : 'training split'}`);
  const trainRecords = await readRecords(spec.trainFile);
  const validationRecords = spec.validationFile ? await readRecords(spec.validationFile) : [];
  if (trainRecords.length === 0) throw new TrainerFailure('empty_training_split', 'the training split has no records');

  let tokenizer: Tokenizer;
  if (spec.resumeFrom) {
    tokenizer = Tokenizer.fromJSON(JSON.parse(await readFile(join(spec.resumeFrom, 'tokenizer.json'), 'utf8')) as TokenizerJson);
  } else if (hp.vocabSize > 256 + SPECIAL_TOKENS.length) {
    // Training the tokenizer blocks this thread; a line every few seconds keeps the supervisor from taking it for a stall.
    let said = performance.now();
    const onMerge = (merges: number) => {
      if (performance.now() - said < 5000) return;
      said = performance.now();
      log(`training the tokenizer: ${merges} of up to ${hp.vocabSize - 256 - SPECIAL_TOKENS.length} merges`);
    };
    tokenizer = trainBpe(textsOf(trainRecords), { vocabSize: hp.vocabSize, onMerge });
    log(`trained a byte-level BPE tokenizer: ${tokenizer.vocabSize} tokens (${tokenizer.merges.length} merges)`);
  } else tokenizer = new Tokenizer();

  const train = encode(tokenizer, trainRecords);
  const validation = encode(tokenizer, validationRecords);
  const trainTokens = train.reduce((n, e) => n + e.ids.length, 0);
  const seqLen = hp.contextLength;
  if (trainTokens < seqLen + 1) throw new TrainerFailure('training_split_too_small', `the training split has ${trainTokens} tokens, fewer than one window of ${seqLen + 1} (context length + 1)`);
  const stepsPerEpoch = Math.max(1, Math.ceil(trainTokens / (hp.batchSize * seqLen)));
  const totalSteps = hp.nEpochs * stepsPerEpoch;
  const validationBatches = validation.reduce((n, e) => n + e.ids.length, 0) > seqLen ? sequentialBatches(validation, { batchSize: hp.batchSize, seqLen }).slice(0, MAX_VALIDATION_BATCHES) : [];
  if (spec.validationFile && validationBatches.length === 0) log(`the validation split has fewer than ${seqLen + 1} tokens: no validation loss`);

  await useWasmBackend();
  const config: LlamaConfig = { ...spec.model, vocabSize: tokenizer.vocabSize, contextLength: seqLen };
  const trainer = spec.resumeFrom ? await Trainer.loadCheckpoint(spec.resumeFrom) : new Trainer(LlamaModel.create(config, { seed: hp.seed }), { ...defaultAdamW, learningRate: hp.learningRate });
  if (spec.resumeFrom) log(`resumed from the checkpoint at step ${trainer.step}`);
  log(`model: ${trainer.model.parameterCount} parameters; ${trainTokens} training tokens, ${stepsPerEpoch} steps per epoch, ${totalSteps} steps`);
  const threads = Math.max(1, Math.min(spec.threads, hp.batchSize));
  const parallel = threads > 1 ? await DataParallelTrainer.start(trainer, { workers: threads - 1 }) : null;
  const step = (batch: Batch, learningRate: number) => (parallel ? parallel.trainStep(batch, { learningRate }) : Promise.resolve(trainer.trainStep(batch, { learningRate })));

  const next = createBatcher(train, { batchSize: hp.batchSize, seqLen, seed: hp.seed });
  for (let i = 0; i < trainer.step; i++) next();

  const evaluate = () => (validationBatches.length ? trainer.evaluate(validationBatches) : null);
  const recent: number[] = [];
  const trainLoss = () => (recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : null);
  let lastValid: { loss: number; perplexity: number } | null = null;
  const checkpoint = async () => {
    const dir = join(spec.workDir, 'checkpoints', `step-${String(trainer.step).padStart(6, '0')}`);
    await trainer.saveCheckpoint(dir);
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
    say({ type: 'checkpoint', step: trainer.step, path: dir, trainLoss: trainLoss(), validLoss: lastValid?.loss ?? null, validPerplexity: lastValid?.perplexity ?? null });
  };

  try {
    const started = performance.now();
    const startStep = trainer.step;
    while (trainer.step < totalSteps) {
      if (stopRequested()) {
        log(`stopping at step ${trainer.step} as asked`);
        return;
      }
      const loss = await step(next(), learningRateAt(trainer.step, totalSteps, hp.learningRate));
      if (!Number.isFinite(loss)) throw new TrainerFailure('training_diverged', `the training loss became ${loss} at step ${trainer.step}; try a smaller learning_rate_multiplier`);
      recent.push(loss);
      if (recent.length > hp.evalEvery) recent.shift();
      const tokensPerSecond = ((trainer.step - startStep) * hp.batchSize * seqLen) / ((performance.now() - started) / 1000);
      say({ type: 'progress', step: trainer.step, totalSteps, epoch: trainer.step / stepsPerEpoch, tokens: trainer.step * hp.batchSize * seqLen, tokensPerSecond: Math.round(tokensPerSecond) });
      const last = trainer.step === totalSteps;
      if (trainer.step % hp.evalEvery === 0 || last) {
        lastValid = evaluate();
        say({ type: 'metric', step: trainer.step, trainLoss: trainLoss(), validLoss: lastValid?.loss ?? null, validPerplexity: lastValid?.perplexity ?? null });
      }
      if (trainer.step % hp.checkpointEvery === 0 || last) await checkpoint();
    }
    lastValid ??= evaluate();
    await mkdir(dirname(spec.output.path), { recursive: true });
    await writeFile(spec.output.path, encodeLlamaGguf(trainer.model.config, trainer.model.weights(), tokenizer, { fileType: spec.output.fileType, name: spec.jobId }));
    log(`wrote the model file ${basename(spec.output.path)} (${(await stat(spec.output.path)).size} bytes)`);
    say({
      type: 'done',
      modelPath: spec.output.path,
      format: 'gguf',
      step: trainer.step,
      trainedTokens: trainer.step * hp.batchSize * seqLen,
      trainLoss: trainLoss(),
      validLoss: lastValid?.loss ?? null,
      validPerplexity: lastValid?.perplexity ?? null,
      parameters: trainer.model.parameterCount,
    });
  } finally {
    await parallel?.close();
    trainer.dispose();
  }
}
