import path from 'node:path';
import express from 'express';
import type { Logger } from '@llmp/core';
import { createHttpApp, type HttpApp } from '@llmp/http';

export interface DashboardAppDeps {
  log: Logger;
  /** Folder of the built page; defaults to this package's `public/`. */
  staticDir?: string;
  version?: string;
  isReady?: () => boolean;
}

/** The page as it sits in this library; bundled builds pass their own copy. */
export function defaultStaticDir(): string {
  return path.join(__dirname, '..', 'public');
}

/**
 * Serves the admin web UI. It holds no data of its own: the page reads the
 * public API through the gateway, which forwards every non-API path here.
 */
export function createDashboardApp({ log, staticDir = defaultStaticDir(), version, isReady }: DashboardAppDeps): HttpApp {
  return createHttpApp({
    service: 'admin-dashboard',
    version,
    log,
    routes: [],
    isReady,
    afterRoutes: (app) => {
      app.use(
        express.static(staticDir, {
          index: 'index.html',
          maxAge: '5m',
          setHeaders: (res) => {
            res.setHeader('x-content-type-options', 'nosniff');
            res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
          },
        }),
      );
    },
  });
}
