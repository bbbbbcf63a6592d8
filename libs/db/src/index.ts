export * from './db';
export * from './pg-db';
export * from './pglite-db';
export * from './migrate';
export * from './access-sql';
export * from './kept-listener';
