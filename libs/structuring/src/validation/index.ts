export * from './tokenizer';
export * from './record-checks';
export * from './dataset-validator';
