/**
 * npm run bench:deploy — from one run, against the real Docker engine:
 *   1. warm re-stage (`nx run deploy:stage` on an environment that is already up, images built)
 *      vs a raw `docker compose up --wait` of the same stack (same compose file, same images);
 *   2. `nx affected -t docker-build` after changing one service vs a full rebuild of every image
 *      (`nx run-many -t docker-build --force`), in a throw-away git worktree of HEAD;
 *   3. CPU used by the idle staged environment (one release + postgres + nginx), from the
 *      containers' cgroups over one minute: health probes and the services' own timers.
 * Everything it creates is removed at the end (environment bench-<id>, project llmp-bench-raw-<id>, the worktree).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measureIdleCpu } from '../deploy-plugin/src/operations/cpu-usage';
import { htpasswdLine, type Credentials } from '../deploy-plugin/src/environment/credentials';
import { writeVolumeFiles } from '../deploy-plugin/src/environment/engine-store';
import { sh as shAsync } from '../deploy-plugin/src/process/shell';
import { SERVICES } from '../deploy-plugin/src/environment/names';
import { findFreePort } from '../deploy-plugin/src/environment/ports';
import type { EnvState } from '../deploy-plugin/src/environment/state';
import { renderNginxConf } from '../deploy-plugin/src/operations/nginx-config';
import { composeVars } from '../deploy-plugin/src/operations/stack';

const root = resolve(__dirname, '../..');
const id = randomBytes(2).toString('hex');
const ENV = `bench-${id}`;
const RAW = `llmp-bench-raw-${id}`;
const baseEnv = { ...process.env, CI: 'true', NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' };

function sh(command: string, args: string[], { cwd = root, env = {}, timeoutMs = 20 * 60_000, check = true }: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; check?: boolean } = {}) {
  const started = performance.now();
  const r = spawnSync(command, args, { cwd, env: { ...baseEnv, ...env }, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (check && r.status !== 0) throw new Error(`${command} ${args.join(' ')} → exit ${r.status}\n${(r.stdout ?? '').slice(-3000)}${(r.stderr ?? '').slice(-3000)}`);
  return { seconds, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const nx = (cwd: string, args: string[]) => sh(join(cwd, 'node_modules/.bin/nx'), [...args, '--outputStyle=stream'], { cwd });
const built = (out: string) => (out.match(/\((built)\)\s*$/gm) ?? []).length;
const row = (name: string, seconds: number, note = '') => `| ${name} | ${seconds.toFixed(1)} s | ${note} |`;

async function rawComposeUp(): Promise<number> {
  const state = JSON.parse(readFileSync(join(root, `.llmp/stage/${ENV}/state.json`), 'utf8')) as EnvState;
  const credentials = JSON.parse(readFileSync(join(root, `.llmp/stage/${ENV}/credentials.json`), 'utf8')) as Credentials;
  const release = 'bench';
  const expiresAt = new Date(Date.now() + 3600_000).toISOString();
  const vars = composeVars({
    env: RAW, release, expiresAt, port: await findFreePort(), credentials: { ...credentials }, images: state.active!.images,
    postgresImage: state.edgeImages.postgres, nginxImage: state.edgeImages.nginx,
  });
  const env = { ...vars, LLMP_STAGE_NETWORK: RAW, LLMP_ENV: RAW };
  sh('docker', ['network', 'create', RAW]);
  sh('docker', ['volume', 'create', `llmp-stage-${RAW}-data`]);
  sh('docker', ['volume', 'create', `llmp-stage-${RAW}-nginx`]);
  await writeVolumeFiles(shAsync, { volume: `llmp-stage-${RAW}-nginx`, image: state.edgeImages.nginx }, [
    { name: 'default.conf', content: renderNginxConf({ template: readFileSync(join(root, 'deploy/nginx/staging.conf.template'), 'utf8'), env: RAW, active: release, reachable: [release], expiresAt }), mode: 0o644 },
    { name: 'htpasswd', content: htpasswdLine(credentials.basicAuth.user, credentials.basicAuth.password) + '\n', mode: 0o644 },
  ]);
  try {
    // Up, then ready when the gateway's /healthz through nginx reads 200 (as the stage asks it):
    // `--wait` would wait for Docker's first probe, a minute after start.
    const started = performance.now();
    sh('docker', ['compose', '-f', 'docker-compose.staging.yml', '-p', RAW, '--profile', 'edge', 'up', '--detach'], { env });
    for (const deadline = Date.now() + 300_000; ; await new Promise((r) => setTimeout(r, 500))) {
      const status = await fetch(`http://127.0.0.1:${vars.LLMP_STAGE_PORT}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 0);
      if (status === 200) return (performance.now() - started) / 1000;
      if (Date.now() > deadline) throw new Error(`raw compose stack not healthy within 300 s (last status ${status})`);
    }
  } finally {
    sh('docker', ['compose', '-f', 'docker-compose.staging.yml', '-p', RAW, '--profile', 'edge', 'down', '--volumes', '--timeout', '5'], { env, check: false });
    sh('docker', ['network', 'rm', RAW], { check: false });
    sh('docker', ['volume', 'rm', `llmp-stage-${RAW}-data`, `llmp-stage-${RAW}-nginx`], { check: false });
  }
}

function rebuilds(): { full: number; fullBuilt: number; affected: number; affectedBuilt: number; service: string } {
  const tree = mkdtempSync(join(tmpdir(), 'llmp-bench-tree-'));
  const service = 'data-structuring';
  sh('git', ['worktree', 'add', '--detach', tree, 'HEAD']);
  try {
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
    // the deploy tooling as it is now (it may not be committed yet)
    for (const path of ['nx.json', '.dockerignore', 'deploy/docker']) cpSync(join(root, path), join(tree, path), { recursive: true });
    nx(tree, ['run-many', '-t', 'docker-build']);
    const full = nx(tree, ['run-many', '-t', 'docker-build', '--force', '--skip-nx-cache']);
    const main = join(tree, 'apps', service, 'src/main.ts');
    appendFileSync(main, `\nexport const benchMarker = '${id}';\n`);
    const affected = nx(tree, ['affected', '-t', 'docker-build', `--files=apps/${service}/src/main.ts`]);
    return { full: full.seconds, fullBuilt: built(full.out), affected: affected.seconds, affectedBuilt: built(affected.out), service };
  } finally {
    sh('git', ['worktree', 'remove', '--force', tree], { check: false });
    rmSync(tree, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  mkdirSync(join(root, 'dist/bench'), { recursive: true });
  console.log(`bench:deploy: environment ${ENV} on ${sh('docker', ['info', '--format', '{{.ServerVersion}} ({{.NCPU}} CPUs)']).out.trim()}`);
  try {
    nx(root, ['run-many', '-t', 'docker-build']);
    const cold = nx(root, ['run', 'deploy:stage', `--env=${ENV}`, '--build=none']);
    // Idle: nothing but health probes and the services' own timers.
    const idle = await measureIdleCpu(shAsync, { label: `dev.llmp.env=${ENV}`, windowMs: 60_000 });
    const warm = nx(root, ['run', 'deploy:stage', `--env=${ENV}`, '--build=all']);
    const raw = await rawComposeUp();
    const r = rebuilds();
    const report = [
      `## bench:deploy (${new Date().toISOString()})`,
      '',
      '| Measurement | Time | Note |',
      '|---|---|---|',
      row('stage, new environment', cold.seconds, 'edge + release, migrate, health, seed, smoke'),
      row('stage, warm re-stage', warm.seconds, 'images unchanged; new release beside the serving one, full checks, switch'),
      row('raw docker compose up, until /healthz answers 200', raw, `same file and images, one project, ${SERVICES.length} services + postgres + nginx, no checks`),
      row(`nx affected -t docker-build (${r.service} changed)`, r.affected, `${r.affectedBuilt} image(s) built`),
      row('nx run-many -t docker-build --force', r.full, `${r.fullBuilt} image(s) built`),
      '',
      `Warm re-stage / raw compose up: ${(warm.seconds / raw).toFixed(2)}× (the re-stage also migrates, checks health through nginx, seeds, smokes and switches traffic)`,
      `Affected rebuild / full rebuild: ${(r.affected / r.full).toFixed(2)}×`,
      `Idle CPU of the staged environment: ${(idle.total * 100).toFixed(1)}% of one core (${Object.keys(idle.containers).length} containers, 60 s; target ≤ 5%; busiest ${Object.entries(idle.containers).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, v]) => `${n} ${(v * 100).toFixed(1)}%`).join(', ')})`,
      '',
    ].join('\n');
    console.log(report);
    writeFileSync(join(root, 'dist/bench/deploy.md'), report);
  } finally {
    sh(join(root, 'node_modules/.bin/nx'), ['run', 'deploy:teardown', `--env=${ENV}`], { check: false });
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
