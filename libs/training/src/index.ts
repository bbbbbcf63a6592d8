export * from './training.app';
export * from './migrations';
