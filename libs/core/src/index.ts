export * from './ids';
export * from './logger';
export * from './time';
export * from './errors';
