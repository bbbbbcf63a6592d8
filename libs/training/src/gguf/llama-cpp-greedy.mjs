// Runs llama.cpp (through node-llama-cpp, CPU only) on GGUF files and prints
// each one's greedy continuation of a token prompt as one JSON line. A separate
// ESM process: node-llama-cpp uses top-level await, which CommonJS callers
// cannot require, and one process amortises its start-up over several files.
// Usage: node llama-cpp-greedy.mjs '{"modelPaths": ["a.gguf"], "prompt": [1, 2], "maxTokens": 16}'
import { getLlama } from 'node-llama-cpp';

const { modelPaths, prompt, maxTokens } = JSON.parse(process.argv[2]);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const results = [];
for (const modelPath of modelPaths) {
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({
    contextSize: Math.max(32, prompt.length + maxTokens),
    // One thread: the models are tiny, and the machines running this are shared.
    threads: 1,
    // An F32 KV cache keeps llama.cpp's attention as exact as the trainer's (its default is F16).
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
  });
  const tokens = [];
  for await (const token of context.getSequence().evaluate(prompt, { temperature: 0 })) {
    tokens.push(token);
    if (tokens.length >= maxTokens) break;
  }
  results.push({
    modelPath,
    tokens,
    detokenized: model.detokenize(tokens),
    tokenizedPrompt: model.tokenize(model.detokenize(prompt)),
    bos: model.tokens.bos,
    eos: model.tokens.eos,
  });
  await context.dispose();
  await model.dispose();
}
await llama.dispose();
process.stdout.write(JSON.stringify(results) + '\n');
