import type { MigrationSet } from '@llmp/db';

export const structuringMigrations: MigrationSet = {
  schema: 'structuring',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema structuring is 'llmp data structuring: training datasets and their versions';`,
    },
  ],
};
