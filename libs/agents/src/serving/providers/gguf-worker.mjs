// Runs GGUF models with llama.cpp (node-llama-cpp, CPU only) for the
// agent-deployment service, in a process of its own: node-llama-cpp is ESM
// with top-level await, which the CommonJS service cannot require, and a
// crash in native code must not take the service down with it.
// Protocol: one JSON object per line. In: {type:"prefill", id, modelPath,
// parts, maxTokens, sequences} | {type:"generate", id, modelPath, parts,
// shortenable, maxTokens, temperature, topP, stop, sequences, flushMs} |
// {type:"abort", id}. `parts` is the prompt a message per part, then the
// reply's start; `shortenable` the parts that may lose tokens from their end,
// in order, when the prompt does not fit the context (then the last message
// loses its start, unless the rest alone does not fit: then the prompt's start).
// A prefill takes a sequence and reads the prompt's opening (its first parts, the
// last maybe unfinished) while the service still retrieves; the generate with
// the same id continues on that sequence from where the two prompts first
// differ, and an abort before it frees the sequence. Out: {type:"ready"} |
// {type:"token", id, text} | {type:"done", id, finishReason, promptTokens,
// completionTokens, shortened?: {messages: {index: tokens}, fromStart},
// readAhead?} | {type:"error", id, message}.
import { createInterface } from 'node:readline';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';

// Token messages leave on the next turn of the event loop, after the generation has asked
// llama.cpp for the next token: the write then overlaps the model's work instead of
// delaying it, and tokens of one generation that are still waiting go out as one message.
// Any other message, and a generation's first token (which the client is waiting for), is
// written at once with what is waiting, so a generation's tokens precede its end.
let waiting = [];
let flushing = false;
function flush() {
  flushing = false;
  if (waiting.length === 0) return;
  const merged = [];
  for (const message of waiting) {
    const last = merged[merged.length - 1];
    if (message.type === 'token' && last?.type === 'token' && last.id === message.id) last.text += message.text;
    else merged.push({ ...message });
  }
  waiting = [];
  process.stdout.write(merged.map((message) => `${JSON.stringify(message)}\n`).join(''));
}
function send(message, now = false) {
  waiting.push(message);
  if (message.type !== 'token' || now) flush();
  else if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

let llamaPromise;
/** One llama.cpp runtime, and each model loaded once with one context whose sequences the generations share. */
const models = new Map();
const running = new Map();
/** Openings being read or read ahead of their generation, by id: each holds a sequence. */
const prefills = new Map();
/** Sequences of finished generations still being handed back to their context. */
const freeing = new Set();

async function llama() {
  llamaPromise ??= import('node-llama-cpp').then(({ getLlama }) => getLlama({ gpu: false, build: 'never', logLevel: 'error' }));
  return llamaPromise;
}

function loaded(modelPath, sequences) {
  let entry = models.get(modelPath);
  if (!entry) {
    entry = (async () => {
      const model = await (await llama()).loadModel({ modelPath });
      const context = await model.createContext({ sequences, contextSize: model.trainContextSize, threads: 1 });
      return { model, context };
    })();
    models.set(modelPath, entry);
    entry.catch(() => models.delete(modelPath));
  }
  return entry;
}

/**
 * The prompt's tokens within `room`: when they do not fit, the shortenable parts lose tokens from
 * their ends in order (the passages first, then older turns), so the system prompt and the question
 * stay whole. A question still too long loses its start, so no message can push the system prompt
 * out; only when the rest alone is too long (a system prompt longer than the context) is the
 * prompt cut from its start.
 */
function fitPrompt(model, parts, shortenable, room) {
  const tokens = parts.map((part) => model.tokenize(part));
  const bos = bosOf(model);
  let excess = bos.length + tokens.reduce((sum, t) => sum + t.length, 0) - room;
  const messages = {};
  for (const index of shortenable) {
    if (excess <= 0) break;
    if (!tokens[index]) continue;
    const cut = Math.min(excess, tokens[index].length);
    if (cut === 0) continue;
    tokens[index] = tokens[index].slice(0, tokens[index].length - cut);
    messages[index] = cut;
    excess -= cut;
  }
  // The question gives way to the system prompt, but not to a system prompt that cannot fit anyway.
  const last = parts.length - 2;
  if (excess > 0 && last >= 0 && excess <= tokens[last].length) {
    tokens[last] = tokens[last].slice(excess);
    messages[last] = (messages[last] ?? 0) + excess;
    excess = 0;
  }
  const input = [...bos, ...tokens.flat()];
  const fromStart = Math.max(0, excess);
  const shortened = Object.keys(messages).length || fromStart ? { messages, fromStart } : undefined;
  return { input: fromStart ? input.slice(fromStart) : input, shortened };
}

const bosOf = (model) => (model.tokens.bos === null || model.tokens.bos === undefined ? [] : [model.tokens.bos]);

/** A sequence of the model's context, once the sequences that ended before are back. */
async function takeSequence(context) {
  while (freeing.size) await Promise.all(freeing);
  return context.getSequence();
}

/** Hands a sequence back to its context; the next generation waits for it. */
async function giveBack(sequence) {
  const returned = Promise.resolve(sequence.dispose()).catch(() => undefined);
  freeing.add(returned);
  await returned;
  freeing.delete(returned);
}

/**
 * Reads a prompt's opening into a sequence of its own before the rest of the prompt is known. An
 * opening longer than the prompt may be is not read: the generation would cut it from its start.
 */
function prefill({ id, modelPath, parts, maxTokens, sequences }) {
  const entry = { released: false };
  entry.sequence = (async () => {
    const { model, context } = await loaded(modelPath, sequences);
    const sequence = await takeSequence(context);
    try {
      const tokens = [...bosOf(model), ...parts.flatMap((part) => model.tokenize(part))];
      if (!entry.released && tokens.length <= context.contextSize - maxTokens) await sequence.evaluateWithoutGeneratingNewTokens(tokens);
    } catch {
      // The generation reads the whole prompt instead.
      await sequence.clearHistory().catch(() => undefined);
    }
    return sequence;
  })();
  // Its generation or its release reads the outcome; until then a failure must not end the process.
  entry.sequence.catch(() => undefined);
  prefills.set(id, entry);
}

/** An opening whose generation will not come: its sequence is handed back once its reading stops. */
function releasePrefill(id) {
  const entry = prefills.get(id);
  prefills.delete(id);
  entry.released = true;
  const freed = entry.sequence.then(giveBack, () => undefined);
  freeing.add(freed);
  void freed.finally(() => freeing.delete(freed));
}

/**
 * A generation's text on its way out: the first token leaves at once, later ones that come within
 * `flushMs` of the last sending wait and leave together, as the service streams them to clients.
 */
function tokenSender(id, flushMs) {
  let text = '';
  let sentAt = -Infinity;
  let timer;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!text) return;
    send({ type: 'token', id, text }, sentAt === -Infinity);
    text = '';
    sentAt = performance.now();
  };
  return {
    push(more) {
      text += more;
      const wait = sentAt + flushMs - performance.now();
      if (wait <= 0) flush();
      else timer ??= setTimeout(flush, wait);
    },
    flush,
  };
}

async function generate({ id, modelPath, parts, shortenable, maxTokens, temperature, topP, stop, sequences, flushMs = 0 }) {
  const state = { aborted: false };
  const tokens = tokenSender(id, flushMs);
  running.set(id, state);
  let sequence;
  let outcome;
  const warm = prefills.get(id);
  prefills.delete(id);
  let readAhead = 0;
  try {
    const { model, context } = await loaded(modelPath, sequences);
    // Tokenized while llama.cpp may still be reading the opening on its own thread.
    const room = Math.max(1, context.contextSize - maxTokens);
    const { input, shortened } = fitPrompt(model, parts, shortenable ?? [], room);
    // A generation whose opening was read ahead continues on that sequence. Otherwise the service
    // may have let it in on hearing that another one ended, before that one's sequence is back:
    // takeSequence waits for it rather than find every sequence taken.
    sequence = warm ? await warm.sequence.catch(() => undefined) : undefined;
    sequence ??= await takeSequence(context);
    if (sequence.nextTokenIndex > 0) {
      // What was read and differs from the prompt goes; at least the last token is read again, for its logits.
      await sequence.adaptStateToTokens(input.slice(0, -1), false);
      readAhead = sequence.nextTokenIndex;
    }
    const output = [];
    let text = '';
    let finishReason = 'length';
    for await (const token of sequence.evaluate(input.slice(readAhead), { temperature, topP })) {
      if (state.aborted) break;
      if (token === model.tokens.eos) {
        finishReason = 'stop';
        break;
      }
      output.push(token);
      const next = model.detokenize(output);
      const stopAt = stop.map((s) => next.indexOf(s, Math.max(0, text.length - s.length))).filter((i) => i >= 0).sort((a, b) => a - b)[0];
      if (stopAt !== undefined) {
        if (stopAt > text.length) tokens.push(next.slice(text.length, stopAt));
        finishReason = 'stop';
        break;
      }
      if (next.length > text.length) tokens.push(next.slice(text.length));
      text = next;
      if (output.length >= maxTokens || input.length + output.length >= context.contextSize) break;
    }
    outcome = { type: 'done', id, finishReason, promptTokens: input.length, completionTokens: output.length, ...(shortened ? { shortened } : {}), ...(readAhead ? { readAhead } : {}) };
  } catch (error) {
    outcome = { type: 'error', id, message: error instanceof Error ? error.message : String(error) };
  } finally {
    running.delete(id);
    tokens.flush();
  }
  // The answer is complete: the client hears so before the sequence is cleared, and the
  // next generation waits for that above.
  send(outcome);
  if (sequence) await giveBack(sequence);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const message = JSON.parse(line);
  if (message.type === 'generate') void generate(message);
  else if (message.type === 'prefill') prefill(message);
  else if (message.type === 'abort') {
    if (prefills.has(message.id)) releasePrefill(message.id);
    const state = running.get(message.id);
    if (state) state.aborted = true;
  }
});
lines.on('close', () => process.exit(0));
send({ type: 'ready' });
