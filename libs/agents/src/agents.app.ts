import type { HttpApp } from '@llmp/http';
import { createServiceApp, type ServiceAppDeps } from '@llmp/service';
import { agentsMigrations } from './migrations';

export type AgentsAppDeps = ServiceAppDeps;

export function createAgentsApp(deps: AgentsAppDeps): HttpApp {
  return createServiceApp(deps, {
    service: 'agent-deployment',
    area: 'agents',
    migrations: agentsMigrations,
    routes: [],
  });
}
