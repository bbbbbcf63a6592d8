import { createIngestionApp, ingestionMigrations } from '@llmp/ingestion';
import { main, runService } from '@llmp/service';

main(() =>
  runService({
    name: 'document-ingestion',
    defaultPort: 3001,
    migrations: [ingestionMigrations],
    createApp: ({ db, log, config, isReady }) => createIngestionApp({ db, log, internalSecret: config.LLMP_INTERNAL_SECRET, isReady }),
  }),
);
