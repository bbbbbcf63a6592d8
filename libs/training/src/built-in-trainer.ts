/**
 * The built-in CPU trainer: tokenizer, llama model, training loop and GGUF
 * export. Kept out of the package's main entry because it loads tfjs and
 * llama.cpp, which the services that only need this schema's migrations
 * (the gateway) must not carry.
 */
export * from './tokenizer/tokenizer';
export * from './tokenizer/bpe-trainer';
export * from './model/backend';
export * from './model/llama-model';
export * from './model/trainer';
export * from './model/data-parallel';
export * from './gguf/gguf-writer';
export * from './gguf/llama-gguf';
