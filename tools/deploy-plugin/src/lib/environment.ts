import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export const SERVICES = ['api-gateway', 'document-ingestion', 'data-structuring', 'model-training', 'agent-deployment', 'admin-dashboard'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The compose variable carrying a service's image tag: api-gateway → LLMP_API_GATEWAY_TAG (pure). */
export function tagVariable(service: string): string {
  return `LLMP_${service.toUpperCase().replace(/-/g, '_')}_TAG`;
}

const ENV_NAME = /^[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?$/;
const RELEASE_ID = /^r\d{12}$/;

/** Environment names become compose project, network and volume names (pure). */
export function assertEnvName(env: string): string {
  if (!ENV_NAME.test(env) || /-r\d{12}$/.test(env)) {
    throw new Error(`environment "${env}" is not a valid name: use 1-30 lowercase letters, digits and inner dashes (e.g. "staging", "pr-42")`);
  }
  return env;
}

export function isReleaseId(id: string): boolean {
  return RELEASE_ID.test(id);
}

/** r + UTC yymmddHHMMSS: sortable, and short enough for container names (pure). */
export function newReleaseId(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `r${p(now.getUTCFullYear() % 100)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

export const names = {
  edgeProject: (env: string) => `llmp-stage-${env}`,
  releaseProject: (env: string, release: string) => `llmp-stage-${env}-${release}`,
  network: (env: string) => `llmp-stage-${env}`,
  dataVolume: (env: string) => `llmp-stage-${env}-data`,
  /** state.json and credentials.json of the environment, on the engine (the local .llmp/ folder is a cache). */
  stateVolume: (env: string) => `llmp-stage-${env}-state`,
  /** nginx's default.conf and htpasswd. */
  nginxVolume: (env: string) => `llmp-stage-${env}-nginx`,
};

export interface EnvPaths {
  stateDir: string;
  stateFile: string;
  credentialsFile: string;
  nginxDir: string;
  artifactsDir: string;
  logFile: string;
  summaryJson: string;
  summaryMd: string;
}

/** State and secrets under .llmp/stage/<env> (git-ignored); artifacts under dist/deploy/<env> (pure). */
export function envPaths(root: string, env: string): EnvPaths {
  const stateDir = join(root, '.llmp', 'stage', env);
  const artifactsDir = join(root, 'dist', 'deploy', env);
  return {
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    credentialsFile: join(stateDir, 'credentials.json'),
    nginxDir: join(stateDir, 'nginx'),
    artifactsDir,
    logFile: join(artifactsDir, 'deployment.log'),
    summaryJson: join(artifactsDir, 'summary.json'),
    summaryMd: join(artifactsDir, 'summary.md'),
  };
}

export interface ReleaseRecord {
  id: string;
  revision: string;
  images: Record<string, string>;
  deployedAt: string;
}

export interface EnvState {
  env: string;
  port: number;
  createdAt: string;
  /** Expiry stamped on the edge (postgres, nginx) when it was created; kept so that compose does not recreate them. */
  edgeExpiresAt: string;
  /** Current expiry: refreshed by every successful stage. */
  expiresAt: string;
  /** Postgres and nginx images chosen when the edge was created (upstream or local equivalents). */
  edgeImages: { postgres: string; nginx: string };
  active?: ReleaseRecord;
  previous?: ReleaseRecord;
}

export interface Credentials {
  basicAuth: { user: string; password: string };
  users: { admin: string; manager: string; user: string };
  postgresPassword: string;
  internalSecret: string;
}

export function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

/** Atomic write; secrets with mode 0600. */
export function writeJson(path: string, value: unknown, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export interface CredentialSources {
  existing?: Credentials;
  settings: Record<string, string>;
  generate: () => string;
}

/**
 * Configured values win, then the environment's stored ones, then fresh random ones. Exceptions:
 * the Postgres password and the bootstrap admin password are fixed once the database exists, so a
 * stored value wins over configuration for those (pure apart from `generate`).
 */
export function resolveCredentials({ existing, settings, generate }: CredentialSources): { credentials: Credentials; generated: string[] } {
  const generated: string[] = [];
  const pick = (name: string, configured: string | undefined, stored: string | undefined, storedWins = false): string => {
    if (storedWins && stored) return stored;
    if (configured) return configured;
    if (stored) return stored;
    generated.push(name);
    return generate();
  };
  const credentials: Credentials = {
    basicAuth: {
      user: settings['LLMP_STAGE_BASIC_AUTH_USER'] || existing?.basicAuth.user || 'llmp',
      password: pick('basic-auth password', settings['LLMP_STAGE_BASIC_AUTH_PASSWORD'], existing?.basicAuth.password),
    },
    users: {
      admin: pick('admin password', settings['LLMP_SEED_ADMIN_PASSWORD'], existing?.users.admin, true),
      manager: pick('manager password', settings['LLMP_SEED_MANAGER_PASSWORD'], existing?.users.manager),
      user: pick('user password', settings['LLMP_SEED_USER_PASSWORD'], existing?.users.user),
    },
    postgresPassword: pick('postgres password', settings['LLMP_POSTGRES_PASSWORD'], existing?.postgresPassword, true),
    internalSecret: pick('internal secret', settings['LLMP_INTERNAL_SECRET'], existing?.internalSecret),
  };
  if (credentials.internalSecret.length < 32) throw new Error('LLMP_INTERNAL_SECRET must be at least 32 characters');
  return { credentials, generated };
}

export function secretsOf(c: Credentials | undefined): string[] {
  return c ? [c.basicAuth.password, c.users.admin, c.users.manager, c.users.user, c.postgresPassword, c.internalSecret] : [];
}

export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export function expiryFrom(now: Date, ttlHours: number): string {
  return new Date(now.getTime() + ttlHours * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
