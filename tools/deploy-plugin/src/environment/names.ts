import { SERVICES, type ServiceName } from '@llmp/contracts';

export { SERVICES, type ServiceName };

/** The compose variable carrying a service's image tag: api-gateway → LLMP_API_GATEWAY_TAG (pure). */
export function tagVariable(service: string): string {
  return `LLMP_${service.toUpperCase().replace(/-/g, '_')}_TAG`;
}

const ENV_NAME = /^[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?$/;

/** Environment names become compose project, network and volume names (pure). */
export function assertEnvName(env: string): string {
  if (!ENV_NAME.test(env) || /-r\d{12}$/.test(env)) {
    throw new Error(`environment "${env}" is not a valid name: use 1-30 lowercase letters, digits and inner dashes (e.g. "staging", "pr-42")`);
  }
  return env;
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
