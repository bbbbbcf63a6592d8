import { logger, type ExecutorContext } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertDockerRunning, buildImageArgs, dockerfileName, findImageByLabel, imageExists, imageId, imageLabel, imageTag, LABEL, MANAGED_BY, ociLabels } from '../../process/docker';
import { createRunner, type Sh } from '../../process/runner';
import { readGitRevision, readGitSource } from '../../process/git';
import { BASE_IMAGES, contentHash, listFiles, manifestFiles, resolveBaseImage, withLock, writeImageRecord, type ImageRecord } from '../../operations/images';
import { normalizeRegistry, pushImage } from '../../operations/registry';
import { chooseRenderer, createStepRunner, type StepContext } from '../../process/steps';
import type { DockerBuildExecutorSchema } from './schema';

export interface NormalizedDockerBuildOptions {
  root: string;
  /** Identifies one `nx` invocation (all its docker-build tasks share it): --force rebuilds the shared base once per run. */
  runId?: string;
  service: string;
  imagePrefix: string;
  dockerfile: string;
  baseDockerfile: string;
  bundleDir: string;
  nodeImage?: string;
  pullTimeoutMs: number;
  buildLocalBaseImages: boolean;
  extraTags: string[];
  force: boolean;
  source?: string;
  caBundle?: string;
  registry?: string;
}

export function normalizeOptions(options: DockerBuildExecutorSchema, { root, projectRoot, env }: { root: string; projectRoot: string; env: NodeJS.ProcessEnv }): NormalizedDockerBuildOptions {
  const service = options.service ?? basename(projectRoot);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(service)) throw new Error(`service "${service}" is not a valid image name`);
  const caBundle = options.caBundle ?? env['NODE_EXTRA_CA_CERTS'];
  return {
    root,
    runId: env['NX_INVOCATION_ROOT_PID'] ? `nx-${env['NX_INVOCATION_ROOT_PID']}` : undefined,
    service,
    imagePrefix: options.imagePrefix ?? 'llmp',
    dockerfile: options.dockerfile ?? `deploy/docker/${dockerfileName(service)}`,
    baseDockerfile: options.baseDockerfile ?? 'deploy/docker/Dockerfile.base',
    bundleDir: options.bundleDir ?? `dist/apps/${service}`,
    nodeImage: options.nodeImage,
    pullTimeoutMs: options.pullTimeoutMs ?? 15_000,
    buildLocalBaseImages: options.buildLocalBaseImages ?? true,
    extraTags: options.extraTags ?? ['latest'],
    force: options.force ?? false,
    source: options.source,
    caBundle: caBundle || undefined,
    registry: normalizeRegistry(options.registry, env),
  };
}

interface BuildDeps {
  sh: Sh;
  progress: StepContext['progress'];
}

export const BUILD_RUN_LABEL = 'dev.llmp.build-run';

/**
 * Whether the shared runtime base must be built (pure): when missing, or with --force unless
 * another task of the same run has already rebuilt it.
 */
export function baseNeedsBuild({ exists, force, runId, builtByRun }: { exists: boolean; force: boolean; runId?: string; builtByRun?: string }): boolean {
  if (!exists) return true;
  if (!force) return false;
  return !(runId && builtByRun === runId);
}

/** The OCI version of a service image: its package version with the git revision as build metadata (pure). */
export function imageVersion({ packageVersion, shortSha, dirty }: { packageVersion: string; shortSha: string; dirty: boolean }): string {
  return `${packageVersion}+${shortSha}${dirty ? '.dirty' : ''}`;
}

function packageVersionOf(root: string, service: string): string {
  for (const path of [join(root, 'apps', service, 'package.json'), join(root, 'package.json')]) {
    if (!existsSync(path)) continue;
    const version = (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version;
    if (version) return version;
  }
  return '0.0.0';
}

/** The runtime base (Node + `npm ci --omit=dev`), tagged by the hash of what npm ci sees; built once across parallel tasks (and once per run with --force). */
export async function ensureBaseImage(o: NormalizedDockerBuildOptions, nodeImage: string, revision: string, source: string, { sh: run, progress }: BuildDeps): Promise<string> {
  const nodeId = await imageId(run, nodeImage);
  const hash = contentHash(o.root, [...manifestFiles(o.root), o.baseDockerfile], [nodeId]);
  const tag = `${o.imagePrefix}/base:${hash.slice(0, 12)}`;
  const needsBuild = async () => baseNeedsBuild({ exists: await imageExists(run, tag), force: o.force, runId: o.runId, builtByRun: await imageLabel(run, tag, BUILD_RUN_LABEL) });
  if (!(await needsBuild())) {
    progress(`${tag} is up to date`);
    return tag;
  }
  return withLock(join(o.root, 'dist', 'docker', `.lock-base-${hash.slice(0, 12)}`), async () => {
    if (!(await needsBuild())) return tag;
    progress(`building ${tag} (npm ci --omit=dev on ${nodeImage})`);
    const args = buildImageArgs({
      dockerfile: join(o.root, o.baseDockerfile),
      context: o.root,
      tags: [tag, `${o.imagePrefix}/base:latest`],
      buildArgs: { NODE_IMAGE: nodeImage, REVISION: revision, CREATED: new Date().toISOString(), SOURCE: source },
      labels: { [LABEL.contentHash]: hash, [LABEL.managedBy]: MANAGED_BY, ...(o.runId ? { [BUILD_RUN_LABEL]: o.runId } : {}) },
      secrets: o.caBundle && existsSync(o.caBundle) ? { npm_ca: o.caBundle } : undefined,
    });
    await run('docker', args, {
      cwd: o.root,
      env: { DOCKER_BUILDKIT: '1' },
      timeoutMs: 30 * 60_000,
      onOutput: (chunk) => lastLine(chunk, progress),
      hint: `the runtime base failed to build: check the npm ci output above; build it by hand with docker build -f ${o.baseDockerfile} --build-arg NODE_IMAGE=${nodeImage} .`,
    });
    return tag;
  });
}

function lastLine(chunk: string, progress: (line: string) => void): void {
  const line = chunk.trim().split('\n').filter(Boolean).pop();
  if (line) progress(line.slice(0, 160));
}

export default async function dockerBuildExecutor(options: DockerBuildExecutorSchema, context: ExecutorContext): Promise<{ success: boolean; image?: string }> {
  const projectRoot = context.projectsConfigurations?.projects[context.projectName ?? '']?.root ?? '';
  const o = normalizeOptions(options, { root: context.root, projectRoot, env: process.env });
  const steps = createStepRunner({ renderer: chooseRenderer(process.env, process.stdout.isTTY), scope: `docker-build ${o.service}` });
  const run = createRunner();
  try {
    const { revision, source, nodeImage } = await steps.run('preflight', async (ctx) => {
      await assertDockerRunning(run);
      if (!existsSync(join(o.root, o.bundleDir, 'main.cjs'))) {
        throw new Error(`${o.bundleDir}/main.cjs is missing → build the service first: npx nx run ${context.projectName}:build (docker-build depends on build)`);
      }
      if (!existsSync(join(o.root, o.dockerfile))) throw new Error(`${o.dockerfile} is missing → every service needs deploy/docker/${dockerfileName(o.service)}`);
      const git = await readGitRevision(run, o.root);
      const nodeImage = o.nodeImage ?? (await resolveBaseImage(BASE_IMAGES.node, { root: o.root, sh: run, pullTimeoutMs: o.pullTimeoutMs, buildLocal: o.buildLocalBaseImages, progress: ctx.progress })).image;
      ctx.progress(`git ${git.shortSha}${git.dirty ? ' (dirty)' : ''}, node image ${nodeImage}`);
      return { revision: git, source: o.source ?? (await readGitSource(run, o.root)), nodeImage };
    });

    const baseImage = await steps.run('runtime base image', (ctx) => ensureBaseImage(o, nodeImage, revision.sha, source, { sh: run, progress: ctx.progress }));

    const record = await steps.run(`image ${o.imagePrefix}/${o.service}`, async (ctx): Promise<ImageRecord> => {
      const baseId = await imageId(run, baseImage);
      const files = [o.dockerfile, ...listFiles(o.root, o.bundleDir, (rel) => rel.endsWith('.map'))];
      const hash = contentHash(o.root, files, [baseId]);
      const tag = imageTag({ prefix: o.imagePrefix, service: o.service, shortSha: revision.shortSha, dirty: revision.dirty, contentHash: hash });
      const extra = o.extraTags.map((t) => `${o.imagePrefix}/${o.service}:${t}`);
      let outcome: ImageRecord['outcome'];
      const existing = o.force ? undefined : (await imageExists(run, tag)) ? tag : await findImageByLabel(run, LABEL.contentHash, hash);
      if (existing === tag) {
        outcome = 'present';
        ctx.progress(`${tag} already exists (same content): not rebuilt`);
      } else if (existing) {
        outcome = 'retagged';
        ctx.progress(`same content as image ${existing.slice(0, 19)}: tagging it ${tag}`);
        await run('docker', ['tag', existing, tag]);
      } else {
        outcome = 'built';
        const created = new Date().toISOString();
        const version = imageVersion({ packageVersion: packageVersionOf(o.root, o.service), shortSha: revision.shortSha, dirty: revision.dirty });
        ctx.progress(`building ${tag}`);
        await run(
          'docker',
          buildImageArgs({
            dockerfile: join(o.root, o.dockerfile),
            context: o.root,
            tags: [tag],
            buildArgs: { BASE_IMAGE: baseImage, REVISION: revision.sha, CREATED: created, SOURCE: source, VERSION: version },
            labels: { ...ociLabels({ revision: revision.sha, created, source, title: `${o.imagePrefix}/${o.service}`, version }), [LABEL.contentHash]: hash, [LABEL.service]: o.service, [LABEL.managedBy]: MANAGED_BY },
          }),
          { cwd: o.root, env: { DOCKER_BUILDKIT: '1' }, timeoutMs: 20 * 60_000, onOutput: (chunk) => lastLine(chunk, ctx.progress), hint: `docker build of ${o.dockerfile} failed (see above)` },
        );
      }
      for (const t of extra) await run('docker', ['tag', tag, t]);
      let pushed: string | undefined;
      if (o.registry) {
        ctx.progress(`pushing to ${o.registry}`);
        pushed = await pushImage(run, o.registry, tag);
        ctx.progress(`pushed ${pushed}`);
      }
      const rec: ImageRecord = { service: o.service, image: tag, tags: [tag, ...extra], contentHash: hash, revision: revision.sha, dirty: revision.dirty, baseImage, outcome, at: new Date().toISOString(), ...(pushed ? { pushed } : {}) };
      writeImageRecord(o.root, rec);
      return rec;
    });
    logger.info(`${record.image} (${record.outcome})${record.pushed ? ` → ${record.pushed}` : ''}`);
    return { success: true, image: record.image };
  } catch (error) {
    logger.error(`docker-build ${o.service} failed: ${(error as Error).message}`);
    return { success: false };
  }
}
