import type { HttpApp } from '@llmp/http';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import { trainingMigrations } from './migrations';

export type TrainingAppDeps = ServiceAppDeps;

export function createTrainingApp(deps: TrainingAppDeps): HttpApp {
  return createServiceApp(deps, {
    service: 'model-training',
    area: 'training',
    migrations: trainingMigrations,
    routes: [],
  });
}
