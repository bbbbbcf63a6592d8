import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '@llmp/core';
import type { DocumentType } from '@llmp/contracts';
import { DocumentParseError } from './parse-error';
import type { ParsedDocument } from './parsed-document';
import type { ParsedOnTheWire, ParseRequest, ParseResponse } from './parse-worker';
import { zipLimitsFor } from './zip';

/** The parser's process died (out of memory, or a crash) while it read this document. */
export class ParserCrashedError extends Error {
  readonly code = 'parser_crashed';
  constructor(message: string) {
    super(message);
    this.name = 'ParserCrashedError';
  }
}

/** The parser ran past its time limit and its process was killed. */
export class ParserTimeoutError extends Error {
  readonly code = 'parser_timeout';
  constructor(message: string) {
    super(message);
    this.name = 'ParserTimeoutError';
  }
}

export interface ParsePoolOptions {
  /** Parser processes (default: 2, or 1 on a single core). */
  size?: number;
  /** Heap of each parser process in MB; a document that needs more crashes only its process (default 512). */
  memoryMb?: number;
  /** Longest one document may parse before its process is killed (default 120 000). */
  timeoutMs?: number;
  log: Logger;
}

export interface ParsePool {
  readonly size: number;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /**
   * Starts every parser process now and resolves once they have loaded their
   * parsers, so the first documents do not pay for (and the serving thread
   * does not compete with) starting them.
   */
  warm(): Promise<void>;
  /** Parses in a child process; rejects with `DocumentParseError`, `ParserCrashedError` or `ParserTimeoutError`. */
  parse(bytes: Buffer, type: DocumentType, options?: { signal?: AbortSignal }): Promise<ParsedDocument>;
  close(): Promise<void>;
}

export const DEFAULT_PARSE_WORKERS = Math.max(1, Math.min(2, os.availableParallelism()));

/**
 * The worker's entry: bundled apps ship it as `parse-worker.cjs` beside
 * their `main.cjs` (this code then runs from that bundle, so `__dirname` is
 * the app's directory); from sources (tests, `tsx`) the TypeScript file
 * runs through tsx's require hook, since a child process does not inherit
 * the transform its parent was loaded with.
 */
function workerEntry(): { filename: string; execArgv: string[] } {
  const bundled = path.join(__dirname, 'parse-worker.cjs');
  if (existsSync(bundled)) return { filename: bundled, execArgv: [] };
  return { filename: path.join(__dirname, 'parse-worker.ts'), execArgv: ['--require', require.resolve('tsx/cjs')] };
}

/** Blocks' texts are slices of the document's: V8 keeps them as views of the one string. */
function withBlockTexts(parsed: ParsedOnTheWire): ParsedDocument {
  const { text } = parsed;
  return { ...parsed, blocks: parsed.blocks.map((block) => ({ ...block, text: text.slice(block.start, block.end) })) };
}

const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

interface Task {
  id: number;
  type: DocumentType;
  bytes: Uint8Array;
  signal?: AbortSignal;
  resolve(parsed: ParsedDocument): void;
  reject(error: unknown): void;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  task: Task | null;
  timer: NodeJS.Timeout | null;
  /** Set once the slot is being torn down: what the dying process says next is ignored. */
  gone: boolean;
  onAbort: (() => void) | null;
  /** The end of its stderr, where V8 says why it died. */
  stderr: string;
}

/**
 * Parsers run in child processes with a capped heap and a hard time limit:
 * a hostile document can exhaust its process's memory or spin forever, and
 * that process is lost, never the serving one. Worker threads are not
 * enough: V8 aborts the whole process when a thread's heap limit is hit in
 * the middle of one large allocation (JSON.parse, a big string). A lost
 * process is replaced on demand.
 */
export function createParsePool({ size = DEFAULT_PARSE_WORKERS, memoryMb = 512, timeoutMs = 120_000, log }: ParsePoolOptions): ParsePool {
  const zipLimits = zipLimitsFor(memoryMb);
  const slots = new Set<Slot>();
  const waiting: Task[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const { filename, execArgv } = workerEntry();
    const child = fork(filename, [], {
      execArgv: [...execArgv, `--max-old-space-size=${memoryMb}`],
      // The parent's NODE_OPTIONS (a heap size, a test runner's flags) are not the parser's.
      env: { ...process.env, NODE_OPTIONS: '' },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const slot: Slot = { child, ready: false, task: null, timer: null, gone: false, onAbort: null, stderr: '' };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => (slot.stderr = (slot.stderr + text).slice(-4096)));
    child.on('message', (message: ParseResponse) => {
      if (slot.gone) return;
      if (message.kind === 'ready') {
        slot.ready = true;
        dispatch();
        return;
      }
      const task = slot.task;
      if (!task || task.id !== message.id) return;
      release(slot);
      if (message.kind === 'parsed') task.resolve(withBlockTexts(message.parsed));
      else task.reject(message.error.code ? new DocumentParseError(message.error.code, message.error.message) : new Error(message.error.message));
      dispatch();
    });
    child.on('error', (error) => lose(slot, `the parser process failed: ${error.message}`, error));
    child.on('exit', (code, signal) => {
      // stderr may still be flushing when 'exit' fires; 'close' comes after it.
      child.once('close', () => {
        const reason = /heap out of memory|Reached heap limit/.test(slot.stderr)
          ? `the parser ran out of memory (its limit is ${memoryMb} MB) while reading the file`
          : `the parser stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}) while reading the file`;
        lose(slot, reason, new Error(slot.stderr.trim().split('\n').slice(-3).join(' ') || reason));
      });
    });
    slots.add(slot);
    return slot;
  }

  function release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    if (slot.onAbort) slot.task?.signal?.removeEventListener('abort', slot.onAbort);
    slot.timer = null;
    slot.onAbort = null;
    slot.task = null;
  }

  /** Forgets a worker that died or was stopped, failing its task with `reason`. */
  function lose(slot: Slot, reason: string, cause?: Error): void {
    if (slot.gone) return;
    slot.gone = true;
    slots.delete(slot);
    const task = slot.task;
    const wasReady = slot.ready;
    release(slot);
    if (task) {
      // A worker that never loaded its parsers is broken itself: not the document's fault, so not a crash of its parser.
      task.reject(wasReady ? new ParserCrashedError(reason) : new Error(`the parser could not start: ${cause?.message ?? reason}`));
    } else if (!wasReady && !closed) {
      log.error({ err: cause }, 'a parser worker failed to start');
      for (const queued of waiting.splice(0)) queued.reject(new Error(`the parser could not start: ${cause?.message ?? reason}`));
    }
    if (!closed) dispatch();
  }

  function stop(slot: Slot, error: Error): void {
    const task = slot.task;
    slot.gone = true;
    slots.delete(slot);
    release(slot);
    slot.child.kill('SIGKILL');
    task?.reject(error);
    dispatch();
  }

  function dispatch(): void {
    if (closed) return;
    for (let slot = idle(); slot && waiting.length; slot = idle()) {
      const task = waiting.shift()!;
      if (task.signal?.aborted) {
        task.reject(task.signal.reason);
        continue;
      }
      run(slot, task);
    }
    const starting = [...slots].filter((s) => !s.ready).length;
    for (let n = Math.min(waiting.length - starting, size - slots.size); n > 0; n--) spawn();
  }

  function idle(): Slot | undefined {
    return [...slots].find((s) => s.ready && !s.task);
  }

  function run(slot: Slot, task: Task): void {
    slot.task = task;
    slot.timer = setTimeout(
      () => stop(slot, new ParserTimeoutError(`parsing took longer than ${duration(timeoutMs)} and was stopped; the file is probably malformed or too complex`)),
      timeoutMs,
    );
    const signal = task.signal;
    if (signal) {
      slot.onAbort = () => stop(slot, signal.reason);
      signal.addEventListener('abort', slot.onAbort, { once: true });
    }
    const request: ParseRequest = { id: task.id, type: task.type, bytes: task.bytes, zipLimits };
    slot.child.send(request);
  }

  return {
    size,
    memoryMb,
    timeoutMs,
    async warm() {
      while (!closed && slots.size < size) spawn();
      await Promise.all(
        [...slots].map(
          (slot) =>
            new Promise<void>((resolve) => {
              if (slot.ready || slot.gone) return resolve();
              const settle = () => {
                slot.child.off('message', onMessage);
                resolve();
              };
              const onMessage = (message: ParseResponse) => message.kind === 'ready' && settle();
              slot.child.on('message', onMessage);
              slot.child.once('exit', settle);
            }),
        ),
      );
    },
    parse(bytes, type, { signal } = {}) {
      if (closed) return Promise.reject(new Error('the parser pool is closed'));
      signal?.throwIfAborted();
      return new Promise<ParsedDocument>((resolve, reject) => {
        waiting.push({ id: nextId++, type, bytes, signal, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const task of waiting.splice(0)) task.reject(new Error('the parser pool is closed'));
      await Promise.all(
        [...slots].map((slot) => {
          slot.gone = true;
          slot.task?.reject(new Error('the parser pool is closed'));
          release(slot);
          if (slot.child.exitCode !== null || slot.child.signalCode !== null) return undefined;
          const exited = new Promise((resolve) => slot.child.once('exit', resolve));
          slot.child.kill('SIGKILL');
          return exited;
        }),
      );
      slots.clear();
    },
  };
}
