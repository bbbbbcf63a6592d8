import { createJobQueue } from '@llmp/queue';
import { chatEndpointOf, createStructuringApp, structuringEnv, structuringMigrations } from '@llmp/structuring';
import { main, runService } from '@llmp/service';

main(() =>
  runService({
    name: 'data-structuring',
    defaultPort: 3002,
    env: structuringEnv,
    migrations: [structuringMigrations],
    async createApp({ db, log, config, isReady }) {
      const queue = createJobQueue({ db, log: log.child({ component: 'queue' }) });
      await queue.start();
      const app = await createStructuringApp({
        db,
        log,
        internalSecret: config.LLMP_INTERNAL_SECRET,
        isReady,
        queue,
        ingestionUrl: config.LLMP_INGESTION_URL,
        limits: { maxLineBytes: config.LLMP_DATASET_MAX_LINE_BYTES },
        buildWorkers: config.LLMP_DATASET_BUILD_WORKERS,
        cleaningThreads: config.LLMP_DATASET_CLEANING_THREADS,
        chatEndpoint: chatEndpointOf(config),
      });
      const closeApp = app.locals.close;
      app.locals.close = async () => {
        await closeApp?.();
        await queue.stop();
      };
      return app;
    },
  }),
);
