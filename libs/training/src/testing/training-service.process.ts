/**
 * The training service as a process of its own over a PGlite directory, for
 * the test that kills it with SIGKILL mid-job. Prints `{"url": …}` once it listens.
 * Env: DATA_DIR, TRAINING_DIR, STRUCTURING_URL, SECRET.
 */
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate } from '@llmp/db';
import { listen } from '@llmp/http';
import { trainingMigrations } from '../migrations';
import { createTraining } from '../training.app';

async function main() {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const db = await createPgliteDb({ dataDir: env('DATA_DIR') });
  await migrate(db, trainingMigrations);
  const training = createTraining({
    db,
    log: createLogger({ name: 'training-under-test', level: 'silent' }),
    internalSecret: env('SECRET'),
    trainingDir: env('TRAINING_DIR'),
    structuringUrl: env('STRUCTURING_URL'),
    threads: 1,
    supervision: { stallTimeoutMs: 30_000, killGraceMs: 1000 },
    runner: { heartbeatMs: 300, pollMs: 200 },
  });
  const server = await listen(training.app);
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
