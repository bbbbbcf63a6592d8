import { logger, type ExecutorContext } from '@nx/devkit';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentialsHint, writeSummary } from '../../lib/artifacts';
import { stripAnsi } from '../../lib/deployment-log';
import { generateSecret } from '../../lib/credentials';
import { assertDockerRunning, imageExists } from '../../lib/docker';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../lib/env-options';
import { discoverEnvironment, saveEnvironment, type EnvironmentView } from '../../lib/discovery';
import { expiryFrom, findFreePort, names, newReleaseId, portIsFree, resolveCredentials, SERVICES, writeJson, type Credentials, type EnvState, type ReleaseRecord } from '../../lib/environment';
import { readGitRevision } from '../../lib/git';
import { normalizeRegistry, pullImage, remoteRef } from '../../lib/registry';
import { retry, type EdgeTarget } from '../../lib/http';
import { BASE_IMAGES, readImageRecord, resolveBaseImage } from '../../lib/images';
import { checkHealth, seed, smoke, type HealthRow, type SeedResult, type SmokeCheck } from '../../lib/platform';
import { addSecrets, openSession, type Session } from '../../lib/session';
import { composeVars, containerHealth, edgeCompose, ensureEnvResources, listResources, releaseCompose, releaseProjects, reloadNginx, removeResources, writeNginxFiles, type LabelledResource } from '../../lib/stack';
import type { DeploySummary } from '../../lib/summary';
import { faultOverride } from './lib/fault-injection';
import { planRecovery } from './lib/recovery-plan';
import type { StageStep, StageUpExecutorSchema } from './schema';

export interface NormalizedStageOptions extends NormalizedEnvOptions {
  nginxTemplate: string;
  ttlHours: number;
  port?: number;
  build: 'all' | 'affected' | 'none';
  profiles: string[];
  imagePrefix: string;
  postgresImage?: string;
  nginxImage?: string;
  pullTimeoutMs: number;
  buildLocalBaseImages: boolean;
  waitTimeoutS: number;
  seed: boolean;
  smoke: boolean;
  keepPrevious: boolean;
  failAt?: StageStep;
  showCredentials: boolean;
  registry?: string;
}

/** Seconds the health step may take through nginx. */
export const HEALTH_DEADLINE_S = 60;
/** Seconds seed and smoke may each take, retries included. */
export const SEED_DEADLINE_S = 90;
export const SMOKE_DEADLINE_S = 90;

/**
 * The longest a stage can take once containers start: the release becoming healthy, the health
 * checks through nginx, seed and smoke (pure). A lifetime shorter than this could expire mid-stage.
 */
export function stageBudgetS({ waitTimeoutS, seed, smoke }: { waitTimeoutS: number; seed: boolean; smoke: boolean }): number {
  return waitTimeoutS + HEALTH_DEADLINE_S + (seed ? SEED_DEADLINE_S : 0) + (smoke ? SMOKE_DEADLINE_S : 0);
}

export function normalizeOptions(
  options: StageUpExecutorSchema,
  { root, env, settings = {}, isTTY = false }: { root: string; env: NodeJS.ProcessEnv; settings?: Record<string, string>; isTTY?: boolean },
): NormalizedStageOptions {
  const ttlSetting = Number(settings['LLMP_STAGE_TTL_HOURS']);
  const ttlHours = options.ttlHours ?? (Number.isFinite(ttlSetting) && ttlSetting > 0 ? ttlSetting : 72);
  if (!(ttlHours > 0)) throw new Error(`ttlHours must be positive (got ${ttlHours})`);
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) throw new Error(`port must be 1-65535 (got ${options.port})`);
  const waitTimeoutS = options.waitTimeoutS ?? 300;
  const seed = options.seed ?? true;
  const smoke = options.smoke ?? true;
  const budget = stageBudgetS({ waitTimeoutS, seed, smoke });
  if (ttlHours * 3600 < budget) {
    throw new Error(`ttlHours ${ttlHours} (${Math.round(ttlHours * 3600)} s) is shorter than this stage can take (${budget} s: waitTimeoutS ${waitTimeoutS} + health ${HEALTH_DEADLINE_S}${seed ? ` + seed ${SEED_DEADLINE_S}` : ''}${smoke ? ` + smoke ${SMOKE_DEADLINE_S}` : ''}) → use ttlHours ≥ ${Math.ceil((budget / 3600) * 1000) / 1000}`);
  }
  const ci = Boolean(env['CI']) && env['CI'] !== 'false';
  return {
    ...normalizeEnvOptions(options, { root, env }),
    nginxTemplate: options.nginxTemplate ?? 'deploy/nginx/staging.conf.template',
    ttlHours,
    port: options.port,
    build: options.build ?? 'all',
    profiles: options.profiles ?? [],
    imagePrefix: options.imagePrefix ?? 'llmp',
    postgresImage: options.postgresImage,
    nginxImage: options.nginxImage,
    pullTimeoutMs: options.pullTimeoutMs ?? 15_000,
    buildLocalBaseImages: options.buildLocalBaseImages ?? true,
    waitTimeoutS,
    seed,
    smoke,
    keepPrevious: options.keepPrevious ?? true,
    failAt: options.failAt,
    registry: normalizeRegistry(options.registry, env),
    // Passwords go to a terminal only: never into CI logs or output redirected to a file.
    showCredentials: options.showCredentials ?? (!ci && isTTY),
  };
}

/** Nx project name of apps/<service> (package.json nx.name, else the package name). */
function projectNameOf(root: string, service: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'apps', service, 'package.json'), 'utf8')) as { name: string; nx?: { name?: string } };
  return pkg.nx?.name ?? pkg.name;
}

/**
 * With a registry, the images come from it, pinned to their digests: those this checkout just
 * pushed, else those the Build job pushed for this commit (tag = git SHA).
 */
async function pullImages(s: Session, o: NormalizedStageOptions & { registry: string }, shortSha: string, progress: (l: string) => void): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  for (const service of SERVICES) {
    const record = readImageRecord(o.root, service);
    const remote = record?.pushed?.startsWith(`${o.registry}/`) ? record.pushed : remoteRef(o.registry, `${o.imagePrefix}/${service}:${shortSha}`);
    images[service] = await pullImage(s.sh, remote);
  }
  progress(`${SERVICES.length} images from ${o.registry}, pinned to their digests`);
  return images;
}

async function buildImages(s: Session, o: NormalizedStageOptions, progress: (l: string) => void, shortSha: string): Promise<Record<string, string>> {
  const nx = join(o.root, 'node_modules', '.bin', 'nx');
  const nxEnv: Record<string, string> = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', ...(o.registry ? { LLMP_REGISTRY: o.registry } : {}) };
  const runNx = (args: string[]) =>
    s.sh(nx, [...args, '--outputStyle=stream'], {
      cwd: o.root,
      env: nxEnv,
      timeoutMs: 60 * 60_000,
      // nx prints every task's output: pass on what says where the images stand
      onOutput: (chunk) =>
        stripAnsi(chunk)
          .split('\n')
          .filter((l) => /\((built|present|retagged)\)( → \S+)?$|docker-build .* failed|Successfully ran|Ran target/.test(l))
          .forEach((l) => progress(l.trim().slice(0, 200))),
      hint: 'an image did not build: the output above names the project; npx nx run <project>:docker-build reproduces it',
    });
  if (o.build === 'all') await runNx(['run-many', '--target=docker-build']);
  if (o.build === 'affected') await runNx(['affected', '--target=docker-build']);
  if (o.registry) return pullImages(s, { ...o, registry: o.registry }, shortSha, progress);
  const images: Record<string, string> = {};
  const missing: string[] = [];
  for (const service of SERVICES) {
    const record = readImageRecord(o.root, service);
    if (record && (await imageExists(record.image))) images[service] = record.image;
    else missing.push(service);
  }
  if (missing.length && o.build !== 'none') {
    progress(`no image yet for ${missing.join(', ')}: building them`);
    await runNx(['run-many', '--target=docker-build', `--projects=${missing.map((m) => projectNameOf(o.root, m)).join(',')}`]);
    for (const service of missing.splice(0)) {
      const record = readImageRecord(o.root, service);
      if (record && (await imageExists(record.image))) images[service] = record.image;
      else missing.push(service);
    }
  }
  if (missing.length) throw new Error(`no image for ${missing.join(', ')} → npx nx run-many -t docker-build (or stage with build=all)`);
  return images;
}

function announceCredentials(o: NormalizedStageOptions, c: Credentials, generated: string[]): void {
  if (process.env['GITHUB_ACTIONS']) for (const v of [c.basicAuth.password, c.users.admin, c.users.manager, c.users.user, c.postgresPassword, c.internalSecret]) process.stdout.write(`::add-mask::${v}\n`);
  if (!generated.length) return;
  const where = o.paths.credentialsFile;
  if (!o.showCredentials) {
    logger.info(`Generated ${generated.join(', ')} for ${o.env}; stored in ${where} (mode 600). They are not printed here (CI).`);
    return;
  }
  // Shown once, on the terminal only: the deployment log and the summaries never contain them.
  logger.info(
    [
      '',
      `┌ Credentials of staging environment "${o.env}" (generated now, shown once; kept in ${where}, mode 600)`,
      `│ basic auth (nginx)  ${c.basicAuth.user} / ${c.basicAuth.password}`,
      `│ platform users      admin / ${c.users.admin}`,
      `│                     manager / ${c.users.manager}`,
      `│                     user / ${c.users.user}`,
      '└',
      '',
    ].join('\n'),
  );
}

export default async function stageUpExecutor(options: StageUpExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const base = normalizeEnvOptions(options, { root: context.root, env: process.env });
  const session = openSession(base, { scope: `stage ${base.env}` });
  const o = normalizeOptions(options, { root: context.root, env: process.env, settings: session.values, isTTY: process.stdout.isTTY });
  const { steps, log, stack } = session;
  const startedAt = new Date();
  const release = newReleaseId(startedAt);
  // Stamped on the candidate's containers (and a new environment's nginx) before it serves: the
  // lifetime counts from the switch, so until then it is bounded by the stage's budget on top.
  const candidateExpiresAt = expiryFrom(startedAt, o.ttlHours + stageBudgetS(o) / 3600);
  log.write(`==== stage ${o.env}: release ${release} ====`);

  // Unknown until read from the engine: a failure before that must not touch anything.
  let view: EnvironmentView | undefined;
  let credentials: Credentials | undefined;
  let images: Record<string, string> = {};
  let revision: string | undefined;
  let port = 0;
  let edgeImages: EnvState['edgeImages'] | undefined;
  let releaseStarted = false;
  let switched = false;
  let expiresAt = candidateExpiresAt;
  let health: HealthRow[] = [];
  let smokeChecks: SmokeCheck[] = [];
  let seedResult: SeedResult | undefined;
  let failure: Error | undefined;
  let vars: Record<string, string> = {};
  const injectFile = join(o.paths.stateDir, `fault-${release}.yml`);
  const extraFiles: string[] = [];
  const resolveEdgeImage = (spec: (typeof BASE_IMAGES)['postgres' | 'nginx'], progress?: (l: string) => void) =>
    resolveBaseImage(spec, { root: o.root, sh: session.sh, pullTimeoutMs: o.pullTimeoutMs, buildLocal: o.buildLocalBaseImages, progress }).then((r) => r.image);

  try {
    await steps.run('preflight', async (ctx) => {
      await assertDockerRunning();
      const v = await session.sh('docker', ['compose', 'version', '--short'], { hint: 'Compose v2 is required: install the docker compose plugin (tools/scripts/setup-docker.sh on Debian)' });
      if (!/^v?2\./.test(v.stdout.trim())) throw new Error(`docker compose ${v.stdout.trim()} found; Compose v2 is required`);
      const git = await readGitRevision(o.root);
      revision = git.sha;
      ctx.progress(`compose ${v.stdout.trim()}, git ${git.shortSha}${git.dirty ? ' (dirty)' : ''}, release ${release}`);
    });

    const found = await steps.run('environment', async (ctx) => {
      const found = await discoverEnvironment({ sh: session.sh, env: o.env, paths: o.paths, fallbackImage: () => o.nginxImage ? Promise.resolve(o.nginxImage) : resolveEdgeImage(BASE_IMAGES.nginx) });
      ctx.progress(
        found.exists
          ? `${o.env} exists on this engine (${found.resources.length} resources; state from ${found.source === 'engine' ? 'its state volume' : 'the local cache'}), serving ${found.state?.active?.id ?? 'nothing'}`
          : `${o.env} is new on this engine`,
      );
      return found;
    });
    view = found;
    const previousState = found.state;
    const previousActive = previousState?.active;
    port = previousState?.port ?? 0;
    log.write(`serving before: ${previousActive?.id ?? 'nothing'} (environment ${found.exists ? 'exists' : 'is new'})`);

    credentials = await steps.run('configuration', async (ctx) => {
      if (session.settings.file) ctx.progress(`settings from ${o.envFile}${session.settings.secretValues.length ? ' (encrypted values decrypted)' : ''}`);
      if (session.settings.undecrypted.length) {
        ctx.progress(`cannot decrypt ${session.settings.undecrypted.join(', ')} (no or wrong DOTENV_PRIVATE_KEY_* in the environment): using stored or generated values`);
      }
      const existing = found.exists ? found.credentials : session.credentials;
      const { credentials: c, generated } = resolveCredentials({ existing, settings: session.values, generate: () => generateSecret() });
      addSecrets(session, [c.basicAuth.password, c.users.admin, c.users.manager, c.users.user, c.postgresPassword, c.internalSecret]);
      writeJson(o.paths.credentialsFile, c, 0o600);
      announceCredentials(o, c, generated);
      if (generated.length) ctx.progress(`generated: ${generated.join(', ')}`);
      return c;
    });

    images = await steps.run(o.registry ? `images (registry ${o.registry})` : 'build images', (ctx) => buildImages(session, o, ctx.progress, (revision ?? '').slice(0, 12)));

    const edge = await steps.run('edge (network, postgres, nginx)', async (ctx) => {
      if (!port) port = o.port ?? (await findFreePort());
      else if (o.port && o.port !== port) ctx.progress(`keeping the environment's port ${port} (option port=${o.port} applies to new environments)`);
      if (!found.exists && !(await portIsFree(port))) throw new Error(`127.0.0.1:${port} is in use → choose another port (port option) or free it`);
      edgeImages = previousState?.edgeImages ?? {
        postgres: o.postgresImage ?? (await resolveEdgeImage(BASE_IMAGES.postgres, ctx.progress)),
        nginx: o.nginxImage ?? (await resolveEdgeImage(BASE_IMAGES.nginx, ctx.progress)),
      };
      const state: EnvState = previousState ?? { env: o.env, port, createdAt: startedAt.toISOString(), edgeExpiresAt: candidateExpiresAt, expiresAt: candidateExpiresAt, edgeImages };
      vars = composeVars({ env: o.env, release: 'edge', expiresAt: state.edgeExpiresAt, port, credentials: credentials!, images, postgresImage: edgeImages.postgres, nginxImage: edgeImages.nginx, logLevel: session.values['LLMP_LOG_LEVEL'], imagePrefix: o.registry ? `${o.registry}/${o.imagePrefix}` : o.imagePrefix });
      const created = await ensureEnvResources(stack, state.edgeExpiresAt);
      if (created.length) ctx.progress(`created ${created.join(', ')}`);
      // With the environment from now on, so that any checkout on this engine can stage it again.
      await saveEnvironment(session.sh, { env: o.env, paths: o.paths, image: edgeImages.nginx }, { state, credentials: credentials! });
      await writeNginxFiles(stack, {
        template: o.nginxTemplate,
        active: previousActive?.id,
        reachable: [previousActive?.id, previousState?.previous?.id].filter((r): r is string => Boolean(r)),
        expiresAt: previousState?.expiresAt ?? candidateExpiresAt,
        basicAuth: credentials!.basicAuth,
        image: edgeImages.nginx,
      });
      await edgeCompose(stack, vars, o.profiles).up({ services: ['postgres', 'nginx', ...(o.profiles.includes('milvus') ? ['etcd', 'minio', 'milvus'] : [])], wait: true, waitTimeoutS: o.waitTimeoutS });
      // new basic-auth credentials from the settings, or a config written from another checkout
      if (found.exists) await reloadNginx(stack, { port });
      ctx.progress(`http://127.0.0.1:${port} (postgres ${edgeImages.postgres}, nginx ${edgeImages.nginx})`);
      return state;
    });
    const nginxImage = edge.edgeImages.nginx;

    const override = faultOverride(o.failAt);
    if (override) {
      writeFileSync(injectFile, override);
      extraFiles.push(injectFile);
      log.write(`fault injection: ${o.failAt} (${injectFile})`);
    }
    const releaseVars = { ...vars, LLMP_RELEASE: release, LLMP_EXPIRES_AT: candidateExpiresAt };
    const rel = releaseCompose(stack, release, releaseVars, extraFiles);
    const target: EdgeTarget = { baseUrl: `http://127.0.0.1:${port}`, basicAuth: credentials.basicAuth, release };

    await steps.run('migrate', async (ctx) => {
      releaseStarted = true;
      const r = await rel.run('migrate');
      const last = r.stdout.trim().split('\n').filter(Boolean).pop();
      if (last) ctx.progress(last.slice(0, 200));
    });

    await steps.run(`start release ${release}`, async (ctx) => {
      await rel.up({ services: [...SERVICES], noDeps: true, wait: true, waitTimeoutS: o.waitTimeoutS });
      ctx.progress(`${SERVICES.length} services healthy (docker healthchecks)`);
      // The candidate becomes reachable with X-LLMP-Release only; the default route is unchanged.
      await writeNginxFiles(stack, {
        template: o.nginxTemplate,
        active: previousActive?.id,
        reachable: [previousActive?.id, release].filter((r): r is string => Boolean(r)),
        expiresAt: previousState?.expiresAt ?? candidateExpiresAt,
        image: nginxImage,
      });
      await reloadNginx(stack, { port, expectReachable: release });
    });

    health = await steps.run('health', async (ctx) => {
      const result = await retry(
        async () => {
          const h = await checkHealth(target);
          if (!h.ok) throw Object.assign(new Error(`unhealthy: ${h.rows.filter((r) => r.status !== 'up').map((r) => `${r.component}${r.detail ? ` (${r.detail})` : ''}`).join(', ')}`), { rows: h.rows });
          return h;
        },
        { attempts: 15, intervalMs: 2000, timeoutMs: HEALTH_DEADLINE_S * 1000 },
      );
      const containers = await containerHealth(session.sh, [names.edgeProject(o.env), names.releaseProject(o.env, release)]);
      const down = containers.filter((r) => r.status !== 'up');
      if (down.length) throw new Error(`containers not healthy: ${down.map((r) => `${r.component} (${r.detail})`).join(', ')}`);
      ctx.progress(`${result.rows.length} HTTP checks through nginx (X-LLMP-Release: ${release}) and ${containers.length} containers up`);
      return [...result.rows, ...containers];
    });

    if (o.seed) {
      seedResult = await steps.run('seed', async (ctx) => {
        const r = await seed(target, credentials!, { adminPassword: o.failAt === 'seed' ? 'injected-wrong-admin-password' : undefined, deadlineMs: SEED_DEADLINE_S * 1000 });
        ctx.progress(`created: ${r.created.join(', ') || 'nothing'}; unchanged: ${r.unchanged.join(', ')}`);
        return r;
      });
    } else steps.skip('seed', 'seed=false');

    if (o.smoke) {
      smokeChecks = await steps.run('smoke', async (ctx) => {
        const checks = await smoke(target, credentials!, { deadlineMs: SMOKE_DEADLINE_S * 1000 });
        if (o.failAt === 'smoke') checks.push({ name: 'injected failure (failAt=smoke)', ok: false, status: 0, durationMs: 0, detail: 'fault injection' });
        const failed = checks.filter((c) => !c.ok);
        for (const c of checks) log.write(`  smoke ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.status}, ${c.durationMs} ms)${c.detail ? `: ${c.detail}` : ''}`);
        if (failed.length) throw new Error(`${failed.length} of ${checks.length} smoke checks failed:\n${failed.map((c) => `  ${c.name}: ${c.detail ?? c.status}`).join('\n')}`);
        ctx.progress(`${checks.length} checks passed`);
        return checks;
      });
    } else steps.skip('smoke', 'smoke=false');

    await steps.run('switch traffic', async (ctx) => {
      // The lifetime counts from the moment the release serves.
      expiresAt = expiryFrom(new Date(), o.ttlHours);
      await writeNginxFiles(stack, { template: o.nginxTemplate, active: release, reachable: [release, ...(o.keepPrevious && previousActive ? [previousActive.id] : [])], expiresAt, image: nginxImage });
      await reloadNginx(stack, { port, expectRelease: release });
      switched = true;
      const record: ReleaseRecord = { id: release, revision: revision ?? '', images, deployedAt: new Date().toISOString() };
      await saveEnvironment(session.sh, { env: o.env, paths: o.paths, image: nginxImage }, { state: { ...edge, port, expiresAt, active: record, previous: o.keepPrevious ? previousActive : undefined } });
      ctx.progress(`http://127.0.0.1:${port} now serves ${release}${previousActive ? ` (was ${previousActive.id})` : ''}`);
    });

    await steps.run('retire old releases', async (ctx) => {
      const keep = new Set([release, ...(o.keepPrevious && previousActive ? [previousActive.id] : [])]);
      const old = (await releaseProjects(session.sh, o.env)).filter((r) => !keep.has(r));
      for (const r of old) await releaseCompose(stack, r, { ...vars, LLMP_RELEASE: r }).down({ timeoutS: 10 });
      ctx.progress(old.length ? `removed ${old.join(', ')}` : 'nothing to remove');
    });
  } catch (error) {
    failure = error as Error;
    await recoverFromFailure({ session, o, release, releaseStarted, switched, view, nginxImage: edgeImages?.nginx, vars: { ...vars, LLMP_RELEASE: release }, extraFiles, port });
  } finally {
    if (existsSync(injectFile)) rmSync(injectFile, { force: true });
  }

  const previousState = view?.state;
  const previousActive = previousState?.active;
  const finished = new Date();
  const failedStep = steps.records.find((r) => r.status === 'failed');
  const summary: DeploySummary = {
    env: o.env,
    outcome: failure ? 'failed' : 'deployed',
    url: port ? `http://127.0.0.1:${port}` : '(none)',
    expiresAt: failure ? (previousState?.expiresAt ?? '(not deployed)') : expiresAt,
    release,
    serving: failure ? previousActive?.id : release,
    previous: failure ? previousState?.previous?.id : o.keepPrevious ? previousActive?.id : undefined,
    revision,
    images: failure ? (previousActive?.images ?? images) : images,
    health,
    smoke: smokeChecks,
    seed: seedResult,
    steps: [...steps.records],
    failedStep: failedStep?.title,
    error: failure?.message,
    credentials: credentials ? credentialsHint(o.paths, o.root, credentials.basicAuth.user) : '(none)',
    startedAt: startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    log: o.paths.logFile,
  };
  writeSummary(o.paths, summary, { secrets: session.secrets() });
  log.write(`==== stage ${o.env}: ${summary.outcome}${failure ? ` at "${failedStep?.title}"` : ''}; serving ${summary.serving ?? 'nothing'} ====`);
  if (failure) {
    logger.error(`\nStaging ${o.env} failed at "${failedStep?.title}": ${failure.message}`);
    logger.error(
      previousActive
        ? `The previous release ${previousActive.id} keeps serving http://127.0.0.1:${port}.`
        : view?.exists !== false
          ? `The environment ${o.env} was kept as it was (it had no serving release).`
          : 'Nothing was left running (first deploy).',
    );
    logger.error(`Details: ${o.paths.logFile}`);
    return { success: false };
  }
  logger.info(`\nStaged ${o.env}: http://127.0.0.1:${port} (release ${release}, expires ${expiresAt})\nSummary: ${o.paths.summaryMd}\nCredentials: ${summary.credentials}`);
  return { success: true };
}

interface RecoveryInput {
  session: Session;
  o: NormalizedStageOptions;
  release: string;
  releaseStarted: boolean;
  switched: boolean;
  /** The environment as found before this run changed anything (undefined: it could not be read). */
  view?: EnvironmentView;
  nginxImage?: string;
  vars: Record<string, string>;
  extraFiles: string[];
  port: number;
}

/** Puts the environment back as it was: the previous release serving, or nothing at all after a failed first deploy. */
async function recoverFromFailure({ session, o, release, releaseStarted, switched, view, nginxImage, vars, extraFiles, port }: RecoveryInput): Promise<void> {
  const { log, stack } = session;
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      log.write(`[recover] ${what} failed: ${(error as Error).message}`);
      logger.warn(`cleanup: ${what} failed: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  const state = view?.state;
  const servingBefore = state?.active?.id;
  let resourcesNow: LabelledResource[] = [];
  if (view) {
    await attempt('list the environment', async () => {
      resourcesNow = await listResources(session.sh, o.env);
    });
  }
  const plan = planRecovery({ discovered: Boolean(view), existedBefore: view?.exists ?? true, resourcesBefore: view?.resources ?? [], resourcesNow, candidate: release, candidateStarted: releaseStarted && Object.keys(vars).length > 0, servingBefore, switched });
  log.write(`[recover] plan: ${JSON.stringify({ ...plan, removeResources: plan.removeResources.map((r) => `${r.kind} ${r.name}`) })}`);
  const rel = releaseCompose(stack, release, vars, extraFiles);
  if (plan.collectCandidateLogs) {
    await attempt('collect the failed release logs', async () => {
      const logs = await rel.logs([], { tail: 80 });
      log.write(`[recover] last log lines of release ${release}:\n${logs.stdout}${logs.stderr}`);
    });
  }
  if (plan.routeBackTo && nginxImage && state) {
    const back = plan.routeBackTo;
    await attempt('route traffic back', async () => {
      await writeNginxFiles(stack, { template: o.nginxTemplate, active: back, reachable: [back], expiresAt: state.expiresAt, image: nginxImage });
      await reloadNginx(stack, { port, expectRelease: back });
      await saveEnvironment(session.sh, { env: o.env, paths: o.paths, image: nginxImage }, { state });
    });
  }
  if (plan.removeCandidate) await attempt(`remove release ${release}`, () => rel.down({ timeoutS: 5 }));
  if (plan.forgetCandidateInNginx && nginxImage) {
    await attempt('forget the candidate in nginx', async () => {
      const reachable = [servingBefore, state?.previous?.id].filter((r): r is string => Boolean(r));
      await writeNginxFiles(stack, { template: o.nginxTemplate, active: servingBefore, reachable, expiresAt: state?.expiresAt ?? new Date().toISOString(), image: nginxImage });
      await reloadNginx(stack, { port });
    });
  }
  if (plan.removeResources.length) {
    await attempt('remove the environment created by this run', async () => {
      await removeResources(session.sh, plan.removeResources);
      log.write(`[recover] first deploy failed: removed ${plan.removeResources.length} containers/networks/volumes of ${o.env}`);
      rmSync(o.paths.stateDir, { recursive: true, force: true });
    });
  } else if (view && !view.exists) {
    rmSync(o.paths.stateDir, { recursive: true, force: true });
  } else if (!view) {
    log.write('[recover] the environment could not be read before the failure: nothing was changed');
  } else {
    log.write(`[recover] ${servingBefore ? `release ${servingBefore} keeps serving` : 'the environment had no serving release'}; its volumes and data are kept`);
  }
}
