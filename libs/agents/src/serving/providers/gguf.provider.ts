import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { invalid, sleep, unavailable, upstreamFailed, type Logger } from '@llmp/core';
import { REGISTRY_MODEL_ID } from '@llmp/contracts';
import type { ModelRegistry } from '../../model-registry';
import type { ChatMessage } from '../chat-request';
import type { GenerationEvent, GenerationRequest, ModelProvider, PromptOpening, Warmed } from './provider';

export interface GgufProviderOptions {
  /** Where GGUF files live (`LLMP_MODELS_DIR`); an agent names a file inside it. */
  modelsDir: string;
  /** Sequences each loaded model's context holds: how many answers it generates at once. */
  sequences: number;
  /** Tokens that follow within this many milliseconds of the last ones sent come from the worker together (see `paced`). */
  flushMs?: number;
  /** Where agents' `model_…` ids come from; their files are kept under `registry/` in the models directory. */
  registry?: ModelRegistry;
  log: Logger;
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'token'; id: number; text: string }
  | {
      type: 'done';
      id: number;
      finishReason: 'stop' | 'length';
      promptTokens: number;
      completionTokens: number;
      shortened?: { messages: Record<number, number>; fromStart: number };
      readAhead?: number;
    }
  | { type: 'error'; id: number; message: string };

/** How long an abandoned generation may take to stop before its slot is handed on anyway. */
const WORKER_ACK_TIMEOUT_MS = 10_000;

/** Bundled apps ship the worker beside `main.cjs`; from sources it sits beside this file. */
function workerPath(): string {
  return path.join(__dirname, 'gguf-worker.mjs');
}

/**
 * A plain transcript, a line per message and then the reply's start: small local models seldom carry
 * a chat template, and this one works with any. The worker fits the parts to the model's context.
 */
export function transcriptParts(messages: ChatMessage[]): string[] {
  return [...messages.map((m) => `${m.role}: ${m.content}\n`), 'assistant:'];
}

/** The transcript's first parts as far as `opening` knows them: a message that continues has no line end yet. */
export function openingParts({ messages, continued }: PromptOpening): string[] {
  const parts = transcriptParts(messages).slice(0, -1);
  if (continued && parts.length) parts[parts.length - 1] = parts[parts.length - 1].slice(0, -1);
  return parts;
}

interface Pending {
  push(event: GenerationEvent | Error): void;
}

/** A warmed opening's generation id, and the worker it was sent to once taken by the generation. */
interface WarmedState {
  id: number;
  /** The worker reading the opening, or null when it was never sent; only the first caller gets it. */
  take(): Promise<ChildProcess | null>;
}

/**
 * GGUF models run by llama.cpp in one child process, started on the first
 * request: each model is loaded once there and its context's sequences are
 * shared by concurrent answers (the service's slots keep them within
 * `sequences`). A client that leaves aborts its generation; a dead worker
 * fails what it was running with 502 and is started again by the next request.
 */
export function createGgufProvider({ modelsDir, sequences, registry, log, flushMs = 0 }: GgufProviderOptions): ModelProvider {
  const root = path.resolve(modelsDir);
  let worker: ChildProcess | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const warmed = new WeakMap<Warmed, WarmedState>();

  function start(): ChildProcess {
    const child = spawn(process.execPath, [workerPath()], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let message: WorkerMessage;
      try {
        message = JSON.parse(line) as WorkerMessage;
      } catch {
        return;
      }
      if (message.type === 'ready') return;
      const target = pending.get(message.id);
      if (!target) return;
      if (message.type === 'token') target.push({ type: 'delta', text: message.text });
      else if (message.type === 'done') {
        pending.delete(message.id);
        target.push({
          type: 'done',
          finishReason: message.finishReason,
          usage: { promptTokens: message.promptTokens, completionTokens: message.completionTokens },
          ...(message.shortened ? { shortened: message.shortened } : {}),
          ...(message.readAhead ? { readAhead: message.readAhead } : {}),
        });
      } else {
        pending.delete(message.id);
        const missing = /node-llama-cpp/.test(message.message) && /Cannot find|not found/i.test(message.message);
        target.push(
          missing
            ? unavailable({ code: 'provider_unavailable', message: 'the gguf provider needs node-llama-cpp, which this deployment does not have' })
            : upstreamFailed({ code: 'provider_failed', message: `llama.cpp could not answer: ${message.message}` }),
        );
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => log.warn({ output: chunk.toString('utf8').slice(0, 2000) }, 'gguf worker wrote to stderr'));
    child.on('exit', (code, signal) => {
      if (worker === child) worker = null;
      if (pending.size) log.error({ code, signal, running: pending.size }, 'gguf worker exited');
      for (const [id, target] of pending) {
        pending.delete(id);
        target.push(upstreamFailed({ code: 'provider_failed', message: `the llama.cpp process exited (${signal ?? code}) while answering` }));
      }
    });
    child.stdin!.on('error', () => undefined);
    return child;
  }

  /** One download per registry model, however many requests ask for it at once. */
  const downloads = new Map<string, Promise<void>>();

  async function modelPath(model: string): Promise<string> {
    if (REGISTRY_MODEL_ID.test(model)) {
      const file = path.join(root, 'registry', `${model}.gguf`);
      if (existsSync(file)) return file;
      if (!registry) throw unavailable({ code: 'model_registry_unavailable', message: `model ${model} is a trained model, and this deployment has no model registry configured` });
      let download = downloads.get(model);
      if (!download) {
        download = registry.download(model, file).finally(() => downloads.delete(model));
        downloads.set(model, download);
      }
      await download;
      return file;
    }
    const file = path.resolve(root, model);
    if (!file.startsWith(`${root}${path.sep}`)) throw invalid({ code: 'invalid_model', message: `model "${model}" is not inside the models directory` });
    if (!existsSync(file)) throw unavailable({ code: 'model_file_missing', message: `the model file "${model}" is not in the models directory` });
    return file;
  }

  return {
    kind: 'gguf',
    warm({ provider, opening, maxTokens }) {
      if (provider.kind !== 'gguf') throw new Error(`the gguf provider cannot serve a ${provider.kind} agent`);
      const id = nextId++;
      let released = false;
      let taken = false;
      let sentTo: ChildProcess | null = null;
      // A model that cannot be resolved is not read ahead: the generation resolves it again and says why.
      const ready = modelPath(provider.model).then(
        (file) => {
          if (released) return null;
          worker ??= start();
          sentTo = worker;
          sentTo.stdin!.write(`${JSON.stringify({ type: 'prefill', id, modelPath: file, parts: openingParts(opening), maxTokens, sequences })}\n`);
          return sentTo;
        },
        () => null,
      );
      const handle: Warmed = {
        release() {
          if (released || taken) return;
          released = true;
          // Written at once, ahead of whatever the next holder of the slot sends the worker.
          sentTo?.stdin!.write(`${JSON.stringify({ type: 'abort', id })}\n`);
        },
      };
      warmed.set(handle, {
        id,
        take() {
          if (released || taken) return Promise.resolve(null);
          taken = true;
          return ready;
        },
      });
      return handle;
    },

    async *generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
      if (request.provider.kind !== 'gguf') throw new Error(`the gguf provider cannot serve a ${request.provider.kind} agent`);
      const warm = request.warmed ? warmed.get(request.warmed) : undefined;
      let file: string;
      try {
        file = await modelPath(request.provider.model);
      } catch (error) {
        request.warmed?.release();
        throw error;
      }
      const reading = (await warm?.take()) ?? null;
      worker ??= start();
      const child = worker;
      // The warmed opening's id carries on where it was read; a worker that died since read nothing.
      const id = reading === child ? warm!.id : nextId++;
      const queue: Array<GenerationEvent | Error> = [];
      let wake: (() => void) | null = null;
      pending.set(id, {
        push(event) {
          queue.push(event);
          wake?.();
        },
      });
      const abort = () => {
        child.stdin!.write(`${JSON.stringify({ type: 'abort', id })}\n`);
        wake?.();
      };
      request.signal.addEventListener('abort', abort, { once: true });
      try {
        child.stdin!.write(
          `${JSON.stringify({ type: 'generate', id, modelPath: file, parts: transcriptParts(request.messages), shortenable: request.shortenable, maxTokens: request.maxTokens, temperature: request.temperature, topP: request.topP, stop: request.stop, sequences, flushMs })}\n`,
        );
        for (;;) {
          if (!queue.length) {
            if (request.signal.aborted) return;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          const event = queue.shift()!;
          if (event instanceof Error) throw event;
          if (event.type === 'delta') {
            // Tokens that arrived while the last one was being sent go out as one delta: fewer writes
            // on every hop when the consumer falls behind, and no wait for a token that is alone.
            let text = event.text;
            while (queue.length && !(queue[0] instanceof Error) && queue[0].type === 'delta') text += (queue.shift() as { text: string }).text;
            yield { type: 'delta', text };
            continue;
          }
          yield event;
          if (event.type === 'done') return;
        }
      } finally {
        request.signal.removeEventListener('abort', abort);
        if (pending.has(id)) {
          // Left early (client gone, consumer stopped): the worker stops generating, and the
          // sequence is free only once it says so, so the caller's slot is not handed on before.
          const ended = new Promise<void>((resolve) => {
            pending.set(id, { push: (event) => (event instanceof Error || event.type === 'done' ? resolve() : undefined) });
          });
          child.stdin!.write(`${JSON.stringify({ type: 'abort', id })}\n`);
          const patience = new AbortController();
          await Promise.race([ended, sleep(WORKER_ACK_TIMEOUT_MS, patience.signal).catch(() => undefined)]);
          patience.abort();
          pending.delete(id);
        }
      }
    },
    async close() {
      worker?.kill();
      worker = null;
    },
  };
}
