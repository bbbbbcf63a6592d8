import { LABEL } from '../process/docker';
import type { Sh } from '../process/runner';
import type { Credentials } from './credentials';
import { readVolumeFiles, writeVolumeFiles } from './engine-store';
import { names } from './names';
import type { EnvPaths } from './paths';
import { listResources, type LabelledResource } from './resources';
import { readJson, writeJson, type EnvState } from './state';

/** What is known about an environment before a command changes anything. */
export interface EnvironmentView {
  /** Resources carrying the environment's label exist on the engine. */
  exists: boolean;
  /** Where state and credentials came from: the engine's state volume, the local cache (environments staged before the state volume existed), or nowhere (new). */
  source: 'engine' | 'local-cache' | 'none';
  state?: EnvState;
  credentials?: Credentials;
  resources: LabelledResource[];
}

export interface ViewSources {
  env: string;
  resources: LabelledResource[];
  engine: { state?: EnvState; credentials?: Credentials };
  local: { state?: EnvState; credentials?: Credentials };
}

/**
 * The engine decides whether an environment exists; the local folder is only a cache (pure).
 * An environment that exists without state and credentials anywhere is never treated as new:
 * new credentials would lock its database, and a failed "first" deploy would remove it.
 */
export function resolveEnvironmentView({ env, resources, engine, local }: ViewSources): EnvironmentView {
  if (!resources.length) return { exists: false, source: 'none', resources };
  if (engine.state && engine.credentials) return { exists: true, source: 'engine', state: engine.state, credentials: engine.credentials, resources };
  if (local.state && local.credentials && local.state.env === env) return { exists: true, source: 'local-cache', state: local.state, credentials: local.credentials, resources };
  throw new Error(
    [
      `environment "${env}" exists on this engine (${resources.length} containers/networks/volumes) but neither its state volume ${names.stateVolume(env)} nor ${'.llmp/stage/' + env} holds its state and credentials.`,
      'Nothing was changed. Restore .llmp/stage/' + env + '/{state,credentials}.json from the machine that staged it, or remove the environment: npx nx run deploy:teardown --env=' + env,
    ].join('\n'),
  );
}

/** Image of one of the environment's containers (nginx first): it has a shell and is already on the engine. */
export async function helperImageOf(sh: Sh, env: string): Promise<string | undefined> {
  const r = await sh('docker', ['ps', '--all', '--filter', `label=${LABEL.env}=${env}`, '--format', '{{.Label "com.docker.compose.service"}}\t{{.Image}}'], { allowFailure: true });
  const rows = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
  return (rows.find(([service]) => service === 'nginx') ?? rows[0])?.[1];
}

export interface DiscoverDeps {
  sh: Sh;
  env: string;
  paths: EnvPaths;
  /** Image for the helper container when the environment has no container left (volumes only). */
  fallbackImage: () => Promise<string>;
}

/** Reads the environment from the engine (labels, state volume), refreshes the local cache from it, and resolves the view. */
export async function discoverEnvironment({ sh, env, paths, fallbackImage }: DiscoverDeps): Promise<EnvironmentView> {
  const resources = await listResources(sh, env);
  const local = { state: readJson<EnvState>(paths.stateFile), credentials: readJson<Credentials>(paths.credentialsFile) };
  let engine: ViewSources['engine'] = {};
  if (resources.some((r) => r.kind === 'volume' && r.name === names.stateVolume(env))) {
    const image = (await helperImageOf(sh, env)) ?? (await fallbackImage());
    const files = await readVolumeFiles(sh, { volume: names.stateVolume(env), image }, ['state.json', 'credentials.json']);
    engine = {
      state: files['state.json'] ? (JSON.parse(files['state.json']) as EnvState) : undefined,
      credentials: files['credentials.json'] ? (JSON.parse(files['credentials.json']) as Credentials) : undefined,
    };
  }
  const view = resolveEnvironmentView({ env, resources, engine, local });
  if (view.source === 'engine') {
    writeJson(paths.stateFile, view.state);
    writeJson(paths.credentialsFile, view.credentials, 0o600);
  }
  return view;
}

/** Saves state and/or credentials with the environment (state volume) and in the local cache. */
export async function saveEnvironment(sh: Sh, { env, paths, image }: { env: string; paths: EnvPaths; image: string }, { state, credentials }: { state?: EnvState; credentials?: Credentials }): Promise<void> {
  const files = [
    ...(state ? [{ name: 'state.json', content: JSON.stringify(state, null, 2) + '\n', mode: 0o600 }] : []),
    ...(credentials ? [{ name: 'credentials.json', content: JSON.stringify(credentials, null, 2) + '\n', mode: 0o600 }] : []),
  ];
  await writeVolumeFiles(sh, { volume: names.stateVolume(env), image }, files);
  if (state) writeJson(paths.stateFile, state);
  if (credentials) writeJson(paths.credentialsFile, credentials, 0o600);
}
