export * from './record';
export * from './formats';
export * from './segments';
export * from './dataset-reader';
export * from './dataset-writers';
