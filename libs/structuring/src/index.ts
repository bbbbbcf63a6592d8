export * from './structuring.app';
export * from './migrations';
export * from './records';
export * from './validation';
export * from './cleaning';
