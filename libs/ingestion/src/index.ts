export * from './ingestion.app';
export * from './migrations';
