export * from './errors';
export * from './validate';
export * from './routes';
export * from './health';
export * from './metrics';
export * from './openapi';
export * from './create-http-app';
export * from './server';
