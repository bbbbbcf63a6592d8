export * from './agents.app';
export * from './migrations';
