import type { Credentials } from '../environment/credentials';
import { discoverEnvironment } from '../environment/discovery';
import type { Session } from '../environment/session';
import type { EnvState, ReleaseRecord } from '../environment/state';
import type { EdgeTarget } from './edge-http';
import { composeVars } from './stack';

export interface Deployed {
  state: EnvState;
  credentials: Credentials;
  active: ReleaseRecord;
}

/**
 * The environment's state, credentials and serving release as the engine knows them (the local
 * cache is refreshed from the environment's state volume), or an error that says how to get them.
 */
export async function requireDeployed(session: Session): Promise<Deployed> {
  const view = await discoverEnvironment({
    sh: session.sh,
    env: session.o.env,
    paths: session.o.paths,
    fallbackImage: async () => session.state?.edgeImages.nginx ?? 'llmp/nginx:1-trixie',
  });
  if (view.exists) {
    session.state = view.state;
    session.credentials = view.credentials;
  }
  const { state, credentials } = view;
  if (!view.exists || !state || !credentials) throw new Error(`environment "${session.o.env}" does not exist on this engine → npx nx run deploy:stage --env=${session.o.env}`);
  if (!state.active) throw new Error(`environment "${session.o.env}" has no serving release → npx nx run deploy:stage --env=${session.o.env}`);
  return { state, credentials, active: state.active };
}

export function edgeTarget(d: Deployed, release?: string): EdgeTarget {
  return { baseUrl: `http://127.0.0.1:${d.state.port}`, basicAuth: d.credentials.basicAuth, ...(release ? { release } : {}) };
}

/** Compose variables of a deployed release (pure). */
export function deployedVars(session: Session, d: Deployed, release: ReleaseRecord): Record<string, string> {
  return composeVars({
    env: session.o.env,
    release: release.id,
    expiresAt: d.state.expiresAt,
    port: d.state.port,
    credentials: d.credentials,
    images: release.images,
    postgresImage: d.state.edgeImages.postgres,
    nginxImage: d.state.edgeImages.nginx,
    logLevel: session.settings.LLMP_LOG_LEVEL,
    imagePrefix: prefixOf(release.images['api-gateway']),
  });
}

/** `llmp/api-gateway:abc` → `llmp` (pure). */
export function prefixOf(ref: string | undefined): string {
  const i = ref?.lastIndexOf('/api-gateway:') ?? -1;
  return ref && i > 0 ? ref.slice(0, i) : 'llmp';
}
