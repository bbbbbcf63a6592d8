export * from './password';
export * from './secrets';
export * from './internal-auth';
export * from './replay-cache';
export * from './migrations';
export * from './auth.service';
export * from './hash-pool';
export * from './login-throttle';
