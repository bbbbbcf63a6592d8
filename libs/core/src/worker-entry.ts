import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerEntry {
  /** The file a `new Worker(filename, { execArgv })` runs. */
  filename: string;
  execArgv: string[];
}

/**
 * Where a worker thread's code is, for the module at `dir` (its `__dirname`) that starts it. A
 * bundled app ships `<name>.cjs` beside its bundle (plain compiled output has `<name>.js`); run
 * from TypeScript sources (tests, benchmarks, `npm start`) the thread loads `<name>.ts` through
 * tsx's require hook, which a new thread does not inherit from the one that started it.
 */
export function workerEntry(dir: string, name: string): WorkerEntry {
  for (const built of [`${name}.cjs`, `${name}.js`]) {
    const filename = join(dir, built);
    if (existsSync(filename)) return { filename, execArgv: [] };
  }
  return { filename: join(dir, `${name}.ts`), execArgv: ['--require', require.resolve('tsx/cjs')] };
}
