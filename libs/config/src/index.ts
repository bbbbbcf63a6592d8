export * from './load-config';
export * from './schemas';
export { z } from 'zod';
