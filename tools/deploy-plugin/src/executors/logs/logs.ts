import { logger, type ExecutorContext } from '@nx/devkit';
import { deployedVars, requireDeployed } from '../../operations/deployed';
import { normalizeEnvOptions, type NormalizedEnvOptions } from '../../environment/options';
import { openSession } from '../../environment/session';
import { edgeCompose, releaseCompose } from '../../operations/stack';
import type { LogsExecutorSchema } from './schema';

const EDGE_SERVICES = ['postgres', 'nginx', 'etcd', 'minio', 'milvus'];

export interface NormalizedLogsOptions extends NormalizedEnvOptions {
  services: string[];
  tail: number;
  release?: string;
}

export function normalizeOptions(options: LogsExecutorSchema, { root, env }: { root: string; env: NodeJS.ProcessEnv }): NormalizedLogsOptions {
  const tail = options.tail ?? 200;
  if (!(Number.isInteger(tail) && tail > 0)) throw new Error(`tail must be a positive integer (got ${tail})`);
  return { ...normalizeEnvOptions(options, { root, env }), services: options.services ?? [], tail, release: options.release };
}

/** Which services to ask each project for; an empty list means all of them (pure). */
export function splitServices(services: readonly string[]): { edge: string[] | undefined; release: string[] | undefined } {
  if (!services.length) return { edge: [], release: [] };
  const edge = services.filter((s) => EDGE_SERVICES.includes(s));
  const release = services.filter((s) => !EDGE_SERVICES.includes(s));
  return { edge: edge.length ? edge : undefined, release: release.length ? release : undefined };
}

export default async function logsExecutor(options: LogsExecutorSchema, context: ExecutorContext): Promise<{ success: boolean }> {
  const o = normalizeOptions(options, { root: context.root, env: process.env });
  const session = openSession(o, { scope: `logs ${o.env}`, writeLog: false });
  try {
    const d = await requireDeployed(session);
    const release = [d.active, d.state.previous].find((r) => r && r.id === (o.release ?? d.active.id));
    if (!release) throw new Error(`release ${o.release} is not the serving or previous release of ${o.env}`);
    const vars = deployedVars(session, d, release);
    const wanted = splitServices(o.services);
    if (wanted.edge) process.stdout.write((await edgeCompose(session.stack, { ...vars, LLMP_RELEASE: 'edge' }).logs(wanted.edge, { tail: o.tail })).stdout);
    if (wanted.release) process.stdout.write((await releaseCompose(session.stack, release.id, vars).logs(wanted.release, { tail: o.tail })).stdout);
    return { success: true };
  } catch (error) {
    logger.error(`logs ${o.env}: ${(error as Error).message}`);
    return { success: false };
  }
}
