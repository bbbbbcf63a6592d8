import { createStructuringApp, structuringMigrations } from '@llmp/structuring';
import { main, runService } from '@llmp/service';

main(() =>
  runService({
    name: 'data-structuring',
    defaultPort: 3002,
    migrations: [structuringMigrations],
    createApp: ({ db, log, config, isReady }) => createStructuringApp({ db, log, internalSecret: config.LLMP_INTERNAL_SECRET, isReady }),
  }),
);
