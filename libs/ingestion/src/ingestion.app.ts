import type { HttpApp } from '@llmp/http';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import { ingestionMigrations } from './migrations';

export type IngestionAppDeps = ServiceAppDeps;

export function createIngestionApp(deps: IngestionAppDeps): HttpApp {
  return createServiceApp(deps, {
    service: 'document-ingestion',
    area: 'ingestion',
    migrations: ingestionMigrations,
    routes: [],
  });
}
