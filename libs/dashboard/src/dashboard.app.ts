import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@llmp/core';
import { createHttpApp, UnavailableError, type HttpApp } from '@llmp/http';

export interface DashboardAppDeps {
  log: Logger;
  /** The built console (index.html and assets/); defaults to `dist/apps/admin-console` of this workspace. */
  staticDir?: string;
  version?: string;
  isReady?: () => boolean;
}

/** Where `nx build admin-console` writes the console, seen from this library's sources. */
export function defaultStaticDir(): string {
  return path.resolve(__dirname, '../../../dist/apps/admin-console');
}

/**
 * The console loads only its own files and talks only to its own origin: no inline script or
 * style, no other host, no framing. Mantine's styles are static files and React sets styles
 * through the CSSOM, which style-src does not govern.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const IMMUTABLE = 'public, max-age=31536000, immutable';

function securityHeaders(res: Response): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

// The build's scripts and stylesheets: flat names, so nothing else can be asked for.
const COMPRESSIBLE_ASSET = /^\/[\w.-]+\.(?:js|css)$/;

/** The gzip copy the build wrote beside a script or stylesheet, when the browser accepts gzip. */
function precompressed(assetsDir: string, req: Request): string | null {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || !COMPRESSIBLE_ASSET.test(req.path) || !req.acceptsEncodings('gzip')) return null;
  const file = path.join(assetsDir, `${req.path.slice(1)}.gz`);
  return existsSync(file) ? file : null;
}

/** Client routes (`/knowledge-bases/kb_…`) get the app; API paths and missing files never do. */
function isClientRoute(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.path === '/api' || req.path.startsWith('/api/') || req.path.startsWith('/assets/')) return false;
  return path.posix.extname(req.path) === '';
}

/**
 * Serves the web console. It holds no data of its own: the console reads the public API through
 * the gateway, which forwards every non-API path here. Files under `assets/` carry a content hash
 * in their name and are cached for a year; `index.html` is revalidated on every load, so a new
 * release is picked up at once.
 */
export function createDashboardApp({ log, staticDir = defaultStaticDir(), version, isReady }: DashboardAppDeps): HttpApp {
  const indexHtml = path.join(staticDir, 'index.html');
  const assetsDir = path.join(staticDir, 'assets');
  if (!existsSync(indexHtml)) log.warn({ staticDir }, 'the console is not built: run `npx nx build admin-console`');

  return createHttpApp({
    service: 'admin-dashboard',
    version,
    log,
    routes: [],
    isReady,
    afterRoutes: (app) => {
      app.use('/assets', (req: Request, res: Response, next: NextFunction) => {
        const compressed = precompressed(assetsDir, req);
        if (!compressed) return next();
        securityHeaders(res);
        res.setHeader('cache-control', IMMUTABLE);
        res.setHeader('vary', 'accept-encoding');
        res.setHeader('content-encoding', 'gzip');
        res.type(path.extname(req.path));
        res.sendFile(compressed, { cacheControl: false }, (error) => error && next(error));
      });
      app.use(
        '/assets',
        express.static(assetsDir, {
          index: false,
          fallthrough: true,
          setHeaders: (res) => {
            securityHeaders(res);
            res.setHeader('cache-control', IMMUTABLE);
            res.setHeader('vary', 'accept-encoding');
          },
        }),
      );
      app.use(
        express.static(staticDir, {
          index: false,
          setHeaders: (res) => {
            securityHeaders(res);
            res.setHeader('cache-control', 'no-cache');
          },
        }),
      );
      app.use((req: Request, res: Response, next: NextFunction) => {
        if (!isClientRoute(req)) return next();
        if (!existsSync(indexHtml)) {
          return next(new UnavailableError({ code: 'console_not_built', message: `the console is not built (no ${indexHtml}): run \`npx nx build admin-console\`` }));
        }
        securityHeaders(res);
        res.sendFile(indexHtml, { cacheControl: false, headers: { 'cache-control': 'no-cache' } }, (error) => error && next(error));
      });
    },
  });
}
