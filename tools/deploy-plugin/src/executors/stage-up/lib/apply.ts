import { writeFileSync } from 'node:fs';
import { names, SERVICES } from '../../../environment/names';
import { findFreePort, portIsFree } from '../../../environment/ports';
import { releaseProjects } from '../../../environment/resources';
import { saveEnvironment } from '../../../environment/discovery';
import type { Session } from '../../../environment/session';
import { expiryFrom, type EnvState, type ReleaseRecord } from '../../../environment/state';
import type { EdgeTarget } from '../../../operations/edge-http';
import { awaitEdge, verifyRelease } from '../../../operations/health';
import { BASE_IMAGES } from '../../../operations/images';
import { seed } from '../../../operations/seed';
import { smoke, type SmokeCheck } from '../../../operations/smoke';
import { composeVars, edgeCompose, ensureEnvResources, releaseCompose } from '../../../operations/stack';
import { reloadNginx, switchTraffic, writeRoutes } from '../../../operations/traffic';
import type { StepContext } from '../../../process/steps';
import { faultOverride } from './fault-injection';
import { HEALTH_DEADLINE_S, SEED_DEADLINE_S, SMOKE_DEADLINE_S, type NormalizedStageOptions } from './options';
import { edgeOf, routesAfterSwitch, routesBeforeSwitch, type StageRun } from './stage-run';
import { edgeImage } from './plan';

/** The environment's network, volumes, postgres and nginx, created or kept; nginx still routes as before. */
async function startEdge(session: Session, o: NormalizedStageOptions, run: StageRun, ctx: StepContext): Promise<void> {
  const before = run.before!;
  const previous = before.state;
  if (!run.port) run.port = o.port ?? (await findFreePort());
  else if (o.port && o.port !== run.port) ctx.progress(`keeping the environment's port ${run.port} (option port=${o.port} applies to new environments)`);
  if (!before.exists && !(await portIsFree(run.port))) throw new Error(`127.0.0.1:${run.port} is in use → choose another port (port option) or free it`);
  run.edgeImages = previous?.edgeImages ?? {
    postgres: o.postgresImage ?? (await edgeImage(session, o, BASE_IMAGES.postgres, ctx.progress)),
    nginx: o.nginxImage ?? (await edgeImage(session, o, BASE_IMAGES.nginx, ctx.progress)),
  };
  const state: EnvState = previous ?? { env: o.env, port: run.port, createdAt: run.startedAt.toISOString(), edgeExpiresAt: run.candidateExpiresAt, expiresAt: run.candidateExpiresAt, edgeImages: run.edgeImages };
  const imagePrefix = o.registry ? `${o.registry}/${o.imagePrefix}` : o.imagePrefix;
  run.edgeVars = composeVars({ env: o.env, release: 'edge', expiresAt: state.edgeExpiresAt, port: run.port, credentials: run.credentials!, images: run.images, postgresImage: run.edgeImages.postgres, nginxImage: run.edgeImages.nginx, logLevel: session.settings.LLMP_LOG_LEVEL, imagePrefix });
  const created = await ensureEnvResources(session.stack, state.edgeExpiresAt);
  if (created.length) ctx.progress(`created ${created.join(', ')}`);
  // With the environment from now on, so that any checkout on this engine can stage it again.
  await saveEnvironment(session.sh, { env: o.env, paths: o.paths, image: run.edgeImages.nginx }, { state, credentials: run.credentials! });
  await writeRoutes(edgeOf(session, o, run)!, routesBeforeSwitch(run, { candidateRunning: false }), run.credentials!.basicAuth);
  const edge = edgeCompose(session.stack, run.edgeVars, o.profiles);
  // Docker probes postgres and nginx only every 30–60 s (a probe costs a runc exec): waiting for
  // its verdict would hold a new environment that long, so their readiness is asked directly.
  await edge.up({ services: ['postgres', 'nginx'], wait: false });
  await awaitEdge(session.stack, { port: run.port, deadlineMs: o.waitTimeoutS * 1000 });
  if (o.profiles.includes('milvus')) await edge.up({ services: ['etcd', 'minio', 'milvus'], wait: true, waitTimeoutS: o.waitTimeoutS });
  // new basic-auth credentials from the settings, or a config written from another checkout
  if (before.exists) await reloadNginx(session.stack, { port: run.port });
  ctx.progress(`http://127.0.0.1:${run.port} (postgres ${run.edgeImages.postgres}, nginx ${run.edgeImages.nginx})`);
  run.edgeState = state;
}

function injectFault(session: Session, o: NormalizedStageOptions, run: StageRun): void {
  const override = faultOverride(o.failAt);
  if (!override) return;
  writeFileSync(run.faultFile, override);
  run.extraFiles.push(run.faultFile);
  session.log.write(`fault injection: ${o.failAt} (${run.faultFile})`);
}

/** The candidate release's compose project. */
export function candidateCompose(session: Session, run: StageRun) {
  return releaseCompose(session.stack, run.release, { ...run.edgeVars, LLMP_RELEASE: run.release, LLMP_EXPIRES_AT: run.candidateExpiresAt }, run.extraFiles);
}

async function smokeChecks(session: Session, o: NormalizedStageOptions, run: StageRun, target: EdgeTarget, ctx: StepContext): Promise<SmokeCheck[]> {
  const checks = await smoke(target, run.credentials!, { deadlineMs: SMOKE_DEADLINE_S * 1000 });
  if (o.failAt === 'smoke') checks.push({ name: 'injected failure (failAt=smoke)', ok: false, status: 0, durationMs: 0, detail: 'fault injection' });
  const failed = checks.filter((c) => !c.ok);
  for (const c of checks) session.log.write(`  smoke ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.status}, ${c.durationMs} ms)${c.detail ? `: ${c.detail}` : ''}`);
  if (failed.length) throw new Error(`${failed.length} of ${checks.length} smoke checks failed:\n${failed.map((c) => `  ${c.name}: ${c.detail ?? c.status}`).join('\n')}`);
  ctx.progress(`${checks.length} checks passed`);
  return checks;
}

/** Switch: the candidate serves; the lifetime counts from now, and is recorded with the new state. */
async function switchToCandidate(session: Session, o: NormalizedStageOptions, run: StageRun, ctx: StepContext): Promise<void> {
  const previous = run.before?.state?.active;
  run.expiresAt = expiryFrom(new Date(), o.ttlHours);
  const record: ReleaseRecord = { id: run.release, revision: run.revision?.sha ?? '', images: run.images, deployedAt: new Date().toISOString() };
  const state: EnvState = { ...run.edgeState!, port: run.port, expiresAt: run.expiresAt, active: record, previous: o.keepPrevious ? previous : undefined };
  await switchTraffic(edgeOf(session, o, run)!, routesAfterSwitch(run, { keepPrevious: o.keepPrevious, expiresAt: run.expiresAt }), {
    expectServing: run.release,
    onRouted: () => (run.switched = true),
    state,
  });
  ctx.progress(`http://127.0.0.1:${run.port} now serves ${run.release}${previous ? ` (was ${previous.id})` : ''}`);
}

async function retireOldReleases(session: Session, o: NormalizedStageOptions, run: StageRun, ctx: StepContext): Promise<void> {
  const previous = run.before?.state?.active;
  const keep = new Set([run.release, ...(o.keepPrevious && previous ? [previous.id] : [])]);
  const old = (await releaseProjects(session.sh, o.env)).filter((r) => !keep.has(r));
  for (const r of old) await releaseCompose(session.stack, r, { ...run.edgeVars, LLMP_RELEASE: r }).down({ timeoutS: 10 });
  ctx.progress(old.length ? `removed ${old.join(', ')}` : 'nothing to remove');
}

/** Apply: edge, then the candidate beside the serving release: migrate, start, health, seed, smoke; then switch traffic and retire old releases. */
export async function apply(session: Session, o: NormalizedStageOptions, run: StageRun): Promise<void> {
  const { steps } = session;
  await steps.run('edge (network, postgres, nginx)', (ctx) => startEdge(session, o, run, ctx));
  injectFault(session, o, run);
  const candidate = candidateCompose(session, run);
  const target: EdgeTarget = { baseUrl: `http://127.0.0.1:${run.port}`, basicAuth: run.credentials!.basicAuth, release: run.release };
  await steps.run('migrate', async (ctx) => {
    run.candidateStarted = true;
    const last = (await candidate.run('migrate')).stdout.trim().split('\n').filter(Boolean).pop();
    if (last) ctx.progress(last.slice(0, 200));
  });
  await steps.run(`start release ${run.release}`, async (ctx) => {
    // Started, not waited for: Docker probes a service once a minute; the health step below asks
    // the release itself through nginx, and fails at once if a container exits or turns unhealthy.
    await candidate.up({ services: [...SERVICES], noDeps: true, wait: false });
    ctx.progress(`${SERVICES.length} services started`);
    // The candidate becomes reachable with X-LLMP-Release only; the default route is unchanged.
    await switchTraffic(edgeOf(session, o, run)!, routesBeforeSwitch(run, { candidateRunning: true }), { expectReachable: run.release });
  });
  run.health = await steps.run('health', async (ctx) => {
    const rows = await verifyRelease(session.sh, target, [names.edgeProject(o.env), names.releaseProject(o.env, run.release)], { deadlineMs: (o.waitTimeoutS + HEALTH_DEADLINE_S) * 1000 });
    ctx.progress(`${rows.http} HTTP checks through nginx (X-LLMP-Release: ${run.release}) and ${rows.containers} containers up`);
    return rows.rows;
  });
  if (o.seed) {
    run.seed = await steps.run('seed', async (ctx) => {
      const r = await seed(target, run.credentials!, { adminPassword: o.failAt === 'seed' ? 'injected-wrong-admin-password' : undefined, deadlineMs: SEED_DEADLINE_S * 1000 });
      ctx.progress(`created: ${r.created.join(', ') || 'nothing'}; unchanged: ${r.unchanged.join(', ')}`);
      return r;
    });
  } else steps.skip('seed', 'seed=false');
  if (o.smoke) run.smoke = await steps.run('smoke', (ctx) => smokeChecks(session, o, run, target, ctx));
  else steps.skip('smoke', 'smoke=false');
  await steps.run('switch traffic', (ctx) => switchToCandidate(session, o, run, ctx));
  await steps.run('retire old releases', (ctx) => retireOldReleases(session, o, run, ctx));
}
