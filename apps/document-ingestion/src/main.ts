import { createIngestionApp, ingestionEnv, ingestionMigrations, ingestionResources } from '@llmp/ingestion';
import { createJobQueue } from '@llmp/queue';
import { main, runService } from '@llmp/service';

main(() =>
  runService({
    name: 'document-ingestion',
    defaultPort: 3001,
    env: ingestionEnv,
    migrations: [ingestionMigrations],
    async createApp({ db, log, config, isReady }) {
      const resources = await ingestionResources(config, { db, log });
      const queue = createJobQueue({ db, log: log.child({ component: 'queue' }) });
      await queue.start();
      const app = await createIngestionApp({ db, log, internalSecret: config.LLMP_INTERNAL_SECRET, isReady, queue, ...resources });
      const closeApp = app.locals.close;
      app.locals.close = async () => {
        await closeApp?.();
        await queue.stop();
        await resources.lexer?.close();
        await resources.vectors.close();
      };
      return app;
    },
  }),
);
