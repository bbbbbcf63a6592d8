import { logger, type ExecutorContext } from '@nx/devkit';
import { edgeTarget, requireDeployed } from '../../operations/deployed';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../environment/options';
import { names } from '../../environment/names';
import { checkHealth, containerHealth } from '../../operations/health';
import { openSession } from '../../environment/session';
import { renderHealthTable, renderTable } from '../../operations/summary';
import type { StatusExecutorSchema } from './schema';

export interface NormalizedStatusOptions extends NormalizedEnvOptions {
  showCredentials: boolean;
}

export function normalizeOptions(options: StatusExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedStatusOptions {
  return { ...normalizeEnvOptions(options, { root, env }), showCredentials: options.showCredentials ?? false };
}

export default async function statusExecutor(options: StatusExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `status ${o.env}`, writeLog: false });
  try {
    const d = await requireDeployed(session);
    const expired = Date.parse(d.state.expiresAt) <= Date.now();
    logger.info(
      renderTable(
        ['', ''],
        [
          ['environment', o.env],
          ['url', `http://127.0.0.1:${d.state.port}`],
          ['expires', `${d.state.expiresAt}${expired ? ' (EXPIRED: answers 410)' : ''}`],
          ['serving', `${d.active.id} (${d.active.revision.slice(0, 12)}, ${d.active.deployedAt})`],
          ['previous', d.state.previous ? `${d.state.previous.id} (rollback target)` : '—'],
          ...Object.entries(d.active.images).map(([k, v]) => [`image ${k}`, v]),
          ['artifacts', o.paths.artifactsDir],
        ],
      ),
    );
    const http = await checkHealth(edgeTarget(d)).catch((e: Error) => ({ ok: false, rows: [{ component: 'nginx', status: 'down' as const, detail: e.message }] }));
    const containers = await containerHealth(session.sh, [names.edgeProject(o.env), names.releaseProject(o.env, d.active.id)]);
    logger.info('\n' + renderHealthTable([...http.rows, ...containers]));
    if (o.showCredentials) {
      const c = d.credentials;
      logger.info(`\nbasic auth: ${c.basicAuth.user} / ${c.basicAuth.password}\nadmin / ${c.users.admin}\nmanager / ${c.users.manager}\nuser / ${c.users.user}`);
    }
    return { success: http.ok && containers.every((r) => r.status === 'up') };
  } catch (error) {
    logger.error(`status ${o.env}: ${(error as Error).message}`);
    return { success: false };
  }
}
