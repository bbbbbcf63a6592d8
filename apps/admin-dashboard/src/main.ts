import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from '@llmp/config';
import { createLogger } from '@llmp/core';
import { createDashboardApp, defaultStaticDir } from '@llmp/dashboard';
import { loadServiceConfig, main, serveApp } from '@llmp/service';

const dashboardEnv = z.object({ LLMP_DASHBOARD_STATIC_DIR: z.string().optional() });

/** The bundled build carries the console next to main.cjs (`public/`); from source it is `nx build admin-console`'s output. */
function staticDir(configured: string | undefined): string {
  if (configured) return configured;
  const bundled = path.join(__dirname, 'public');
  return existsSync(bundled) ? bundled : defaultStaticDir();
}

main(async () => {
  const env = { LLMP_INTERNAL_SECRET: 'unused-by-the-dashboard-it-holds-no-data', ...process.env };
  const config = loadServiceConfig(dashboardEnv, env);
  const log = createLogger({ name: 'admin-dashboard', level: config.LLMP_LOG_LEVEL });
  let ready = false;
  const app = createDashboardApp({ log, staticDir: staticDir(config.LLMP_DASHBOARD_STATIC_DIR), isReady: () => ready });
  return serveApp(app, { config, log, name: 'admin-dashboard', defaultPort: 3005, setReady: (r) => (ready = r) });
});
