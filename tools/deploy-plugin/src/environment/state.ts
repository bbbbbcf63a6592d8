import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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

export function expiryFrom(now: Date, ttlHours: number): string {
  return new Date(now.getTime() + ttlHours * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
