import { logger } from '@nx/devkit';
import { generateSecret, resolveCredentials, secretsOf, type Credentials } from '../../../environment/credentials';
import { discoverEnvironment } from '../../../environment/discovery';
import { addSecrets, type Session } from '../../../environment/session';
import { writeJson } from '../../../environment/state';
import { BASE_IMAGES, provideImages, resolveBaseImage } from '../../../operations/images';
import { assertComposeV2, assertDockerRunning } from '../../../process/docker';
import { readGitRevision } from '../../../process/git';
import type { NormalizedStageOptions } from './options';
import type { StageRun } from './stage-run';

/** postgres or nginx: the upstream image when it can be had, else its local equivalent. */
export function edgeImage(session: Session, o: NormalizedStageOptions, spec: (typeof BASE_IMAGES)['postgres' | 'nginx'], progress?: (l: string) => void): Promise<string> {
  const options = { root: o.root, sh: session.sh, pullTimeoutMs: o.pullTimeoutMs, buildLocal: o.buildLocalBaseImages, progress };
  return resolveBaseImage(spec, options).then((r) => r.image);
}

function announceCredentials(o: NormalizedStageOptions, c: Credentials, generated: string[]): void {
  if (process.env['GITHUB_ACTIONS']) for (const v of secretsOf(c)) process.stdout.write(`::add-mask::${v}\n`);
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

/** Plan: what the engine, the environment, the configuration and the images are, before anything changes. */
export async function plan(session: Session, o: NormalizedStageOptions, run: StageRun): Promise<void> {
  const { steps } = session;
  await steps.run('preflight', async (ctx) => {
    await assertDockerRunning(session.sh);
    const compose = await assertComposeV2(session.sh);
    run.revision = await readGitRevision(session.sh, o.root);
    ctx.progress(`compose ${compose}, git ${run.revision.shortSha}${run.revision.dirty ? ' (dirty)' : ''}, release ${run.release}`);
  });

  run.before = await steps.run('environment', async (ctx) => {
    const fallbackImage = () => (o.nginxImage ? Promise.resolve(o.nginxImage) : edgeImage(session, o, BASE_IMAGES.nginx));
    const found = await discoverEnvironment({ sh: session.sh, env: o.env, paths: o.paths, fallbackImage });
    const source = found.source === 'engine' ? 'its state volume' : 'the local cache';
    ctx.progress(found.exists ? `${o.env} exists on this engine (${found.resources.length} resources; state from ${source}), serving ${found.state?.active?.id ?? 'nothing'}` : `${o.env} is new on this engine`);
    return found;
  });
  run.port = run.before.state?.port ?? 0;
  session.log.write(`serving before: ${run.before.state?.active?.id ?? 'nothing'} (environment ${run.before.exists ? 'exists' : 'is new'})`);

  run.credentials = await steps.run('configuration', async (ctx) => {
    if (session.file.file) ctx.progress(`settings from ${o.envFile}${session.file.secretValues.length ? ' (encrypted values decrypted)' : ''}`);
    if (session.file.undecrypted.length) {
      ctx.progress(`cannot decrypt ${session.file.undecrypted.join(', ')} (no or wrong DOTENV_PRIVATE_KEY_* in the environment): using stored or generated values`);
    }
    const existing = run.before?.exists ? run.before.credentials : session.credentials;
    const { credentials, generated } = resolveCredentials({ existing, settings: session.settings, generate: () => generateSecret() });
    addSecrets(session, secretsOf(credentials));
    writeJson(o.paths.credentialsFile, credentials, 0o600);
    announceCredentials(o, credentials, generated);
    if (generated.length) ctx.progress(`generated: ${generated.join(', ')}`);
    return credentials;
  });

  const title = o.registry ? `images (registry ${o.registry})` : 'build images';
  run.images = await steps.run(title, (ctx) => provideImages(session.sh, o, { shortSha: (run.revision?.sha ?? '').slice(0, 12), progress: ctx.progress }));
}
