import { loadConfig, requireDatabaseUrl, serviceEnv, type Env, type z } from '@llmp/config';
import { createLogger, type Logger } from '@llmp/core';
import { createPgDb, migrate, type Db, type MigrationSet } from '@llmp/db';
import { listen, type HttpApp, type RunningServer } from '@llmp/http';

export type ServiceConfig<S extends z.ZodType | undefined> = z.infer<typeof serviceEnv> & (S extends z.ZodType ? z.infer<S> : object);

export interface ServiceContext<C> {
  db: Db;
  log: Logger;
  config: C;
  isReady: () => boolean;
}

export interface ServiceDefinition<S extends z.ZodType | undefined = undefined> {
  name: string;
  defaultPort: number;
  /** Extra variables of this service, validated together with the shared ones. */
  env?: S;
  migrations: MigrationSet[];
  createApp(context: ServiceContext<ServiceConfig<S>>): HttpApp | Promise<HttpApp>;
}

export interface RunningService {
  server: RunningServer;
  stop(): Promise<void>;
}

export interface RunOptions {
  env?: Env;
  argv?: string[];
}

export function loadServiceConfig<S extends z.ZodType | undefined>(extra: S, env: Env): ServiceConfig<S> {
  const schema = extra ? serviceEnv.and(extra as z.ZodType) : serviceEnv;
  return loadConfig(schema, env) as ServiceConfig<S>;
}

/**
 * Listens, marks the service ready, and on SIGTERM/SIGINT stops taking
 * traffic, drains in-flight requests, then runs `onStop`.
 */
export async function serveApp(
  app: HttpApp,
  { config, log, name, defaultPort, onStop, setReady }: {
    config: z.infer<typeof serviceEnv>;
    log: Logger;
    name: string;
    defaultPort: number;
    onStop?: () => Promise<void>;
    setReady: (ready: boolean) => void;
  },
): Promise<RunningService> {
  const server = await listen(app, { host: config.LLMP_HOST, port: config.LLMP_PORT ?? defaultPort });
  setReady(true);
  log.info({ url: server.url }, `${name} listening`);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      setReady(false);
      log.info('shutting down');
      await server.close(config.LLMP_SHUTDOWN_TIMEOUT_MS);
      await app.locals.close?.();
      await onStop?.();
      log.info('stopped');
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
  return { server, stop };
}

/**
 * `main.ts` of every service with a database: config → database →
 * migrations → app → listen. `migrate` as the first argument runs the
 * migrations and exits: the one-shot step before traffic moves.
 */
export async function runService<S extends z.ZodType | undefined = undefined>(
  definition: ServiceDefinition<S>,
  { env = process.env, argv = process.argv.slice(2) }: RunOptions = {},
): Promise<RunningService | null> {
  const config = loadServiceConfig(definition.env as S, env);
  const log = createLogger({ name: definition.name, level: config.LLMP_LOG_LEVEL });
  const db = createPgDb({ connectionString: requireDatabaseUrl(config), poolSize: config.LLMP_DATABASE_POOL_SIZE, applicationName: definition.name });
  try {
    for (const set of definition.migrations) {
      const report = await migrate(db, set);
      if (report.applied.length) log.info({ schema: set.schema, applied: report.applied }, 'migrations applied');
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  if (argv[0] === 'migrate') {
    await db.close();
    log.info({ schemas: definition.migrations.map((m) => m.schema) }, 'migrations complete');
    return null;
  }
  let ready = false;
  const app = await definition.createApp({ db, log, config, isReady: () => ready });
  return serveApp(app, {
    config,
    log,
    name: definition.name,
    defaultPort: definition.defaultPort,
    setReady: (r) => (ready = r),
    onStop: () => db.close(),
  });
}

/** Entry point: configuration and start-up errors are printed plainly and exit non-zero. */
export function main(run: () => Promise<unknown>): void {
  run().catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}
