export * from './ids';
export * from './logger';
export * from './time';
export * from './errors';
export * from './worker-entry';
