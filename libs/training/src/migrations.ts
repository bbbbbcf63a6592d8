import type { MigrationSet } from '@llmp/db';

export const trainingMigrations: MigrationSet = {
  schema: 'training',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema training is 'llmp model training: fine-tuning jobs, checkpoints, model registry';`,
    },
  ],
};
