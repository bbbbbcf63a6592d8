import type { MigrationSet } from '@llmp/db';

export const ingestionMigrations: MigrationSet = {
  schema: 'ingestion',
  migrations: [
    {
      version: 1,
      name: 'schema',
      sql: `comment on schema ingestion is 'llmp document ingestion: knowledge bases, documents, chunks, embeddings';`,
    },
  ],
};
