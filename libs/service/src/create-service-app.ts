import { internalAuthenticator } from '@llmp/auth';
import type { Logger } from '@llmp/core';
import { currentVersion, type Db, type MigrationSet } from '@llmp/db';
import { createHttpApp, route, type HealthCheck, type HttpApp, type HttpAppOptions, type RouteSpec } from '@llmp/http';

export interface ServiceAppDeps {
  db: Db;
  log: Logger;
  /** Shared with the gateway, which signs every caller's identity with it. */
  internalSecret: string;
  version?: string;
  /** Extra dependency checks for `/healthz` beside the database. */
  health?: Record<string, HealthCheck>;
  isReady?: () => boolean;
}

export interface ServiceAppOptions extends Pick<HttpAppOptions, 'beforeBody' | 'afterRoutes' | 'bodyLimit'> {
  service: string;
  /** The public URL area, `/api/<area>/…`. */
  area: string;
  migrations: MigrationSet;
  routes: RouteSpec[];
}

export function dbHealthCheck(db: Db): HealthCheck {
  return () => db.ping();
}

/**
 * The shell every platform service shares: identities only from the
 * gateway, the database in `/healthz`, and `GET /api/<area>/info` telling
 * which schema version the service runs on.
 */
export function createServiceApp(deps: ServiceAppDeps, options: ServiceAppOptions): HttpApp {
  const { db, log, internalSecret, version = '0.1.0', health = {}, isReady } = deps;
  const { service, area, migrations, routes, ...rest } = options;
  const info = route({
    method: 'get',
    path: `/api/${area}/info`,
    tag: area,
    summary: `Which ${service} is answering and its database schema version`,
    access: 'user',
    handle: async () => ({
      service,
      version,
      schema: migrations.schema,
      schemaVersion: await currentVersion(db, migrations.schema),
      latestSchemaVersion: Math.max(0, ...migrations.migrations.map((m) => m.version)),
    }),
  });
  return createHttpApp({
    service,
    version,
    log,
    routes: [info, ...routes],
    authenticate: internalAuthenticator(internalSecret),
    health: { database: dbHealthCheck(db), ...health },
    isReady,
    ...rest,
  });
}
