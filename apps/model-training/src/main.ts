import { createTrainingApp, trainingEnv, trainingMigrations, trainingOptions } from '@llmp/training';
import { main, runService } from '@llmp/service';

main(() =>
  runService({
    name: 'model-training',
    defaultPort: 3003,
    env: trainingEnv,
    migrations: [trainingMigrations],
    createApp: ({ db, log, config, isReady }) => createTrainingApp({ db, log, internalSecret: config.LLMP_INTERNAL_SECRET, isReady, ...trainingOptions(config) }),
  }),
);
