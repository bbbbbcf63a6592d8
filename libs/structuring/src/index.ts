export * from './structuring.app';
export * from './migrations';
