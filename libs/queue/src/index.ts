export * from './errors';
export * from './job-queue';
