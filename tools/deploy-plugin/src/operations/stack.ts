import { type Credentials } from '../environment/credentials';
import { names, SERVICES, tagVariable } from '../environment/names';
import type { StackDeps } from '../environment/session';
import { createCompose, type Compose } from '../process/compose';
import { LABEL, MANAGED_BY } from '../process/docker';

export type { StackDeps };

export interface ComposeVarsInput {
  env: string;
  release: string;
  expiresAt: string;
  port: number;
  credentials: Credentials;
  images: Record<string, string>;
  postgresImage: string;
  nginxImage: string;
  logLevel?: string;
  imagePrefix?: string;
}

/** Interpolation variables for docker-compose.staging.yml (pure). Image refs are split into prefix and per-service tag. */
export function composeVars(i: ComposeVarsInput): Record<string, string> {
  const vars: Record<string, string> = {
    LLMP_ENV: i.env,
    LLMP_RELEASE: i.release,
    LLMP_EXPIRES_AT: i.expiresAt,
    LLMP_STAGE_NETWORK: names.network(i.env),
    LLMP_STAGE_PORT: String(i.port),
    LLMP_POSTGRES_IMAGE: i.postgresImage,
    LLMP_NGINX_IMAGE: i.nginxImage,
    LLMP_POSTGRES_PASSWORD: i.credentials.postgresPassword,
    LLMP_INTERNAL_SECRET: i.credentials.internalSecret,
    LLMP_BOOTSTRAP_ADMIN_PASSWORD: i.credentials.users.admin,
    LLMP_LOG_LEVEL: i.logLevel ?? 'info',
    LLMP_IMAGE_PREFIX: i.imagePrefix ?? 'llmp',
  };
  for (const service of SERVICES) {
    const ref = i.images[service];
    if (!ref) continue;
    // repo:tag, or repo:tag@sha256:… for an image pinned to its registry digest
    const [name, digest] = ref.split('@');
    const colon = name.lastIndexOf(':');
    const repo = name.slice(0, colon);
    const expected = `${vars['LLMP_IMAGE_PREFIX']}/${service}`;
    if (colon < 0 || repo !== expected) throw new Error(`image ${ref} of ${service} must be named ${expected}:<tag> (imagePrefix "${vars['LLMP_IMAGE_PREFIX']}")`);
    vars[tagVariable(service)] = name.slice(colon + 1) + (digest ? `@${digest}` : '');
  }
  return vars;
}

export function edgeCompose(d: StackDeps, vars: Record<string, string>, profiles: readonly string[] = [], extraFiles: readonly string[] = []): Compose {
  return createCompose({ cwd: d.root, files: [d.composeFile, ...extraFiles], project: names.edgeProject(d.env), profiles: ['edge', ...profiles], env: vars }, { log: d.log, secrets: d.secrets });
}

export function releaseCompose(d: StackDeps, release: string, vars: Record<string, string>, extraFiles: readonly string[] = []): Compose {
  return createCompose({ cwd: d.root, files: [d.composeFile, ...extraFiles], project: names.releaseProject(d.env, release), env: { ...vars, LLMP_RELEASE: release } }, { log: d.log, secrets: d.secrets });
}

function envLabels(env: string, expiresAt: string): string[] {
  return [`${LABEL.managedBy}=${MANAGED_BY}`, `${LABEL.env}=${env}`, `${LABEL.release}=edge`, `${LABEL.expiresAt}=${expiresAt}`].flatMap((l) => ['--label', l]);
}

/** The environment's network and volumes (shared by its compose projects), labelled so that teardown and reap find them. */
export async function ensureEnvResources(d: StackDeps, expiresAt: string): Promise<string[]> {
  const created: string[] = [];
  const network = names.network(d.env);
  if ((await d.sh('docker', ['network', 'inspect', '--format', '{{.Name}}', network], { allowFailure: true })).exitCode !== 0) {
    await d.sh('docker', ['network', 'create', ...envLabels(d.env, expiresAt), network]);
    created.push(network);
  }
  for (const volume of [names.dataVolume(d.env), names.stateVolume(d.env), names.nginxVolume(d.env)]) {
    if ((await d.sh('docker', ['volume', 'inspect', '--format', '{{.Name}}', volume], { allowFailure: true })).exitCode !== 0) {
      await d.sh('docker', ['volume', 'create', ...envLabels(d.env, expiresAt), volume]);
      created.push(volume);
    }
  }
  return created;
}
