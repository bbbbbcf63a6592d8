export * from './roles';
export * from './errors';
export * from './health';
export * from './users';
export * from './access';
export * from './datasets';
export * from './agents';
