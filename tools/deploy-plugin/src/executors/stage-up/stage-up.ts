import { logger, type ExecutorContext } from '@nx/devkit';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentialsHint, writeSummary } from '../../lib/artifacts';
import { stripAnsi } from '../../lib/deployment-log';
import { generateSecret } from '../../lib/credentials';
import { assertDockerRunning, imageExists } from '../../lib/docker';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../lib/env-options';
import { expiryFrom, findFreePort, names, newReleaseId, portIsFree, resolveCredentials, SERVICES, writeJson, type Credentials, type EnvState, type ReleaseRecord } from '../../lib/environment';
import { readGitRevision } from '../../lib/git';
import { retry, type EdgeTarget } from '../../lib/http';
import { BASE_IMAGES, readImageRecord, resolveBaseImage } from '../../lib/images';
import { checkHealth, seed, smoke, type HealthRow, type SeedResult, type SmokeCheck } from '../../lib/platform';
import { addSecrets, openSession, type Session } from '../../lib/session';
import { composeVars, containerHealth, edgeCompose, ensureEnvResources, releaseCompose, releaseProjects, removeEnvironment, reloadNginx, writeNginxFiles } from '../../lib/stack';
import type { DeploySummary } from '../../lib/summary';
import { faultOverride } from './lib/fault-injection';
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
}

export function normalizeOptions(options: StageUpExecutorSchema, { root, env, settings = {} }: { root: string; env: NodeJS.ProcessEnv; settings?: Record<string, string> }): NormalizedStageOptions {
  const ttlSetting = Number(settings['LLMP_STAGE_TTL_HOURS']);
  const ttlHours = options.ttlHours ?? (Number.isFinite(ttlSetting) && ttlSetting > 0 ? ttlSetting : 72);
  if (!(ttlHours > 0)) throw new Error(`ttlHours must be positive (got ${ttlHours})`);
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) throw new Error(`port must be 1-65535 (got ${options.port})`);
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
    waitTimeoutS: options.waitTimeoutS ?? 300,
    seed: options.seed ?? true,
    smoke: options.smoke ?? true,
    keepPrevious: options.keepPrevious ?? true,
    failAt: options.failAt,
    showCredentials: options.showCredentials ?? !ci,
  };
}

/** Nx project name of apps/<service> (package.json nx.name, else the package name). */
function projectNameOf(root: string, service: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'apps', service, 'package.json'), 'utf8')) as { name: string; nx?: { name?: string } };
  return pkg.nx?.name ?? pkg.name;
}

async function buildImages(s: Session, o: NormalizedStageOptions, progress: (l: string) => void): Promise<Record<string, string>> {
  const nx = join(o.root, 'node_modules', '.bin', 'nx');
  const nxEnv = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' };
  const runNx = (args: string[]) =>
    s.sh(nx, [...args, '--outputStyle=stream'], {
      cwd: o.root,
      env: nxEnv,
      timeoutMs: 60 * 60_000,
      // nx prints every task's output: pass on what says where the images stand
      onOutput: (chunk) =>
        stripAnsi(chunk)
          .split('\n')
          .filter((l) => /\((built|present|retagged)\)$|docker-build .* failed|Successfully ran|Ran target/.test(l))
          .forEach((l) => progress(l.trim().slice(0, 200))),
      hint: 'an image did not build: the output above names the project; npx nx run <project>:docker-build reproduces it',
    });
  if (o.build === 'all') await runNx(['run-many', '--target=docker-build']);
  if (o.build === 'affected') await runNx(['affected', '--target=docker-build']);
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
  const o = normalizeOptions(options, { root: context.root, env: process.env, settings: session.values });
  const { steps, log, stack } = session;
  const startedAt = new Date();
  const release = newReleaseId(startedAt);
  const previousState = session.state;
  const previousActive = previousState?.active;
  const expiresAt = expiryFrom(startedAt, o.ttlHours);
  const edgeExisted = Boolean(previousState);
  log.write(`==== stage ${o.env}: release ${release} (serving before: ${previousActive?.id ?? 'nothing'}) ====`);

  let credentials: Credentials | undefined;
  let images: Record<string, string> = {};
  let revision: string | undefined;
  let port = previousState?.port ?? 0;
  let releaseStarted = false;
  let switched = false;
  let health: HealthRow[] = [];
  let smokeChecks: SmokeCheck[] = [];
  let seedResult: SeedResult | undefined;
  let failure: Error | undefined;
  let vars: Record<string, string> = {};
  const injectFile = join(o.paths.stateDir, `fault-${release}.yml`);
  const extraFiles: string[] = [];

  try {
    await steps.run('preflight', async (ctx) => {
      await assertDockerRunning();
      const v = await session.sh('docker', ['compose', 'version', '--short'], { hint: 'Compose v2 is required: install the docker compose plugin (tools/scripts/setup-docker.sh on Debian)' });
      if (!/^v?2\./.test(v.stdout.trim())) throw new Error(`docker compose ${v.stdout.trim()} found; Compose v2 is required`);
      const git = await readGitRevision(o.root);
      revision = git.sha;
      ctx.progress(`compose ${v.stdout.trim()}, git ${git.shortSha}${git.dirty ? ' (dirty)' : ''}, release ${release}`);
    });

    credentials = await steps.run('configuration', async (ctx) => {
      if (session.settings.file) ctx.progress(`settings from ${o.envFile}${session.settings.secretValues.length ? ' (encrypted values decrypted)' : ''}`);
      if (session.settings.undecrypted.length) {
        ctx.progress(`cannot decrypt ${session.settings.undecrypted.join(', ')} (no or wrong DOTENV_PRIVATE_KEY_* in the environment): using stored or generated values`);
      }
      const { credentials: c, generated } = resolveCredentials({ existing: session.credentials, settings: session.values, generate: () => generateSecret() });
      addSecrets(session, [c.basicAuth.password, c.users.admin, c.users.manager, c.users.user, c.postgresPassword, c.internalSecret]);
      writeJson(o.paths.credentialsFile, c, 0o600);
      announceCredentials(o, c, generated);
      if (generated.length) ctx.progress(`generated: ${generated.join(', ')}`);
      return c;
    });

    images = await steps.run('build images', (ctx) => buildImages(session, o, ctx.progress));

    const edge = await steps.run('edge (network, postgres, nginx)', async (ctx) => {
      if (!port) port = o.port ?? (await findFreePort());
      else if (o.port && o.port !== port) ctx.progress(`keeping the environment's port ${port} (option port=${o.port} applies to new environments)`);
      if (!edgeExisted && !(await portIsFree(port))) throw new Error(`127.0.0.1:${port} is in use → choose another port (port option) or free it`);
      const edgeImages = previousState?.edgeImages ?? {
        postgres: o.postgresImage ?? (await resolveBaseImage(BASE_IMAGES.postgres, { root: o.root, sh: session.sh, pullTimeoutMs: o.pullTimeoutMs, buildLocal: o.buildLocalBaseImages, progress: ctx.progress })).image,
        nginx: o.nginxImage ?? (await resolveBaseImage(BASE_IMAGES.nginx, { root: o.root, sh: session.sh, pullTimeoutMs: o.pullTimeoutMs, buildLocal: o.buildLocalBaseImages, progress: ctx.progress })).image,
      };
      const state: EnvState = previousState ?? { env: o.env, port, createdAt: startedAt.toISOString(), edgeExpiresAt: expiresAt, expiresAt, edgeImages };
      writeJson(o.paths.stateFile, state);
      vars = composeVars({ env: o.env, release: 'edge', expiresAt: state.edgeExpiresAt, port, nginxConfDir: o.paths.nginxDir, credentials: credentials!, images, postgresImage: edgeImages.postgres, nginxImage: edgeImages.nginx, logLevel: session.values['LLMP_LOG_LEVEL'], imagePrefix: o.imagePrefix });
      const created = await ensureEnvResources(stack, state.edgeExpiresAt);
      if (created.length) ctx.progress(`created ${created.join(', ')}`);
      const changed = writeNginxFiles(stack, {
        template: o.nginxTemplate,
        active: previousActive?.id,
        reachable: [previousActive?.id, previousState?.previous?.id].filter((r): r is string => Boolean(r)),
        expiresAt: previousState?.expiresAt ?? expiresAt,
        basicAuth: credentials!.basicAuth,
      });
      await edgeCompose(stack, vars, o.profiles).up({ services: ['postgres', 'nginx', ...(o.profiles.includes('milvus') ? ['etcd', 'minio', 'milvus'] : [])], wait: true, waitTimeoutS: o.waitTimeoutS });
      if (edgeExisted && changed) await reloadNginx(stack, { port }); // e.g. new basic-auth credentials from the settings
      ctx.progress(`http://127.0.0.1:${port} (postgres ${edgeImages.postgres}, nginx ${edgeImages.nginx})`);
      return state;
    });

    const override = faultOverride(o.failAt);
    if (override) {
      writeFileSync(injectFile, override);
      extraFiles.push(injectFile);
      log.write(`fault injection: ${o.failAt} (${injectFile})`);
    }
    const releaseVars = { ...vars, LLMP_RELEASE: release, LLMP_EXPIRES_AT: expiresAt };
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
      writeNginxFiles(stack, {
        template: o.nginxTemplate,
        active: previousActive?.id,
        reachable: [previousActive?.id, release].filter((r): r is string => Boolean(r)),
        expiresAt: previousState?.expiresAt ?? expiresAt,
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
        { attempts: 15, intervalMs: 2000, timeoutMs: 60_000 },
      );
      const containers = await containerHealth(session.sh, [names.edgeProject(o.env), names.releaseProject(o.env, release)]);
      const down = containers.filter((r) => r.status !== 'up');
      if (down.length) throw new Error(`containers not healthy: ${down.map((r) => `${r.component} (${r.detail})`).join(', ')}`);
      ctx.progress(`${result.rows.length} HTTP checks through nginx (X-LLMP-Release: ${release}) and ${containers.length} containers up`);
      return [...result.rows, ...containers];
    });

    if (o.seed) {
      seedResult = await steps.run('seed', async (ctx) => {
        const r = await seed(target, credentials!, o.failAt === 'seed' ? 'injected-wrong-admin-password' : undefined);
        ctx.progress(`created: ${r.created.join(', ') || 'nothing'}; unchanged: ${r.unchanged.join(', ')}`);
        return r;
      });
    } else steps.skip('seed', 'seed=false');

    if (o.smoke) {
      smokeChecks = await steps.run('smoke', async (ctx) => {
        const checks = await smoke(target, credentials!);
        if (o.failAt === 'smoke') checks.push({ name: 'injected failure (failAt=smoke)', ok: false, status: 0, durationMs: 0, detail: 'fault injection' });
        const failed = checks.filter((c) => !c.ok);
        for (const c of checks) log.write(`  smoke ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.status}, ${c.durationMs} ms)${c.detail ? `: ${c.detail}` : ''}`);
        if (failed.length) throw new Error(`${failed.length} of ${checks.length} smoke checks failed:\n${failed.map((c) => `  ${c.name}: ${c.detail ?? c.status}`).join('\n')}`);
        ctx.progress(`${checks.length} checks passed`);
        return checks;
      });
    } else steps.skip('smoke', 'smoke=false');

    await steps.run('switch traffic', async (ctx) => {
      writeNginxFiles(stack, { template: o.nginxTemplate, active: release, reachable: [release, ...(o.keepPrevious && previousActive ? [previousActive.id] : [])], expiresAt });
      await reloadNginx(stack, { port, expectRelease: release });
      switched = true;
      const record: ReleaseRecord = { id: release, revision: revision ?? '', images, deployedAt: new Date().toISOString() };
      writeJson(o.paths.stateFile, { ...edge, port, expiresAt, active: record, previous: o.keepPrevious ? previousActive : undefined } satisfies EnvState);
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
    await recoverFromFailure({ session, o, release, releaseStarted, switched, edgeExisted, previousActive, vars: { ...vars, LLMP_RELEASE: release }, extraFiles, port });
  } finally {
    if (existsSync(injectFile)) rmSync(injectFile, { force: true });
  }

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
    logger.error(previousActive ? `The previous release ${previousActive.id} keeps serving http://127.0.0.1:${port}.` : 'Nothing was left running (first deploy).');
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
  edgeExisted: boolean;
  previousActive?: ReleaseRecord;
  vars: Record<string, string>;
  extraFiles: string[];
  port: number;
}

/** Puts the environment back as it was: the previous release serving, or nothing at all after a failed first deploy. */
async function recoverFromFailure({ session, o, release, releaseStarted, switched, edgeExisted, previousActive, vars, extraFiles, port }: RecoveryInput): Promise<void> {
  const { log, stack } = session;
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (error) {
      log.write(`[recover] ${what} failed: ${(error as Error).message}`);
      logger.warn(`cleanup: ${what} failed: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  if (releaseStarted && Object.keys(vars).length) {
    const rel = releaseCompose(stack, release, vars, extraFiles);
    await attempt('collect the failed release logs', async () => {
      const logs = await rel.logs([], { tail: 80 });
      log.write(`[recover] last log lines of release ${release}:\n${logs.stdout}${logs.stderr}`);
    });
    if (switched && previousActive) {
      await attempt('route traffic back', async () => {
        const state = session.state;
        writeNginxFiles(stack, { template: o.nginxTemplate, active: previousActive.id, reachable: [previousActive.id], expiresAt: state?.expiresAt ?? new Date().toISOString() });
        await reloadNginx(stack, { port, expectRelease: previousActive.id });
        if (state) writeJson(o.paths.stateFile, state);
      });
    }
    await attempt(`remove release ${release}`, () => rel.down({ timeoutS: 5 }));
    if (edgeExisted && !switched) {
      await attempt('forget the candidate in nginx', async () => {
        const state = session.state;
        const reachable = [previousActive?.id, state?.previous?.id].filter((r): r is string => Boolean(r));
        if (writeNginxFiles(stack, { template: o.nginxTemplate, active: previousActive?.id, reachable, expiresAt: state?.expiresAt ?? new Date().toISOString() })) await reloadNginx(stack, { port });
      });
    }
  }
  if (!edgeExisted) {
    await attempt('remove the environment created by this run', async () => {
      const removed = await removeEnvironment(session.sh, o.env);
      log.write(`[recover] first deploy failed: removed ${removed.length} containers/networks/volumes of ${o.env}`);
      rmSync(o.paths.stateDir, { recursive: true, force: true });
    });
  } else {
    log.write(`[recover] ${previousActive ? `release ${previousActive.id} keeps serving` : 'the environment had no serving release'}`);
  }
}
