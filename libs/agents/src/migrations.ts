import type { MigrationSet } from '@llmp/db';

export const agentsMigrations: MigrationSet = {
  schema: 'agents',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema agents is 'llmp agent deployment: agents, versions, serving';`,
    },
  ],
};
