import type { HttpApp } from '@llmp/http';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import { structuringMigrations } from './migrations';

export type StructuringAppDeps = ServiceAppDeps;

export function createStructuringApp(deps: StructuringAppDeps): HttpApp {
  return createServiceApp(deps, {
    service: 'data-structuring',
    area: 'datasets',
    migrations: structuringMigrations,
    routes: [],
  });
}
