import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDENTITY_HEADER, requestTarget, verifyIdentity } from '@llmp/auth';
import type { DatasetRecordBody, DatasetVersionSummary, Identity } from '@llmp/contracts';
import { toNdjson } from './records';

export interface StandInVersion {
  summary: Omit<DatasetVersionSummary, 'status'> & { status: string };
  train: DatasetRecordBody[];
  validation: DatasetRecordBody[];
  /** Only this user (and admins) may read it. */
  ownerId?: string;
}

export interface DatasetsStandIn {
  url: string;
  versions: Map<string, StandInVersion>;
  /** `versionId/holder` of every hold in place. */
  holds: Set<string>;
  /** Who each request was signed for, in order. */
  callers: { method: string; path: string; identity: Identity }[];
  close(): Promise<void>;
}

/**
 * Stands in for the datasets service (a neighbour, not the service under
 * test) with exactly its contract (`libs/contracts/src/datasets.ts`): a
 * version's summary, its records as NDJSON per split, and holds. Like the
 * real service it accepts only requests signed with the internal secret.
 */
export async function startDatasetsStandIn({ secret }: { secret: string }): Promise<DatasetsStandIn> {
  const versions = new Map<string, StandInVersion>();
  const holds = new Set<string>();
  const callers: DatasetsStandIn['callers'] = [];
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const header = req.headers[IDENTITY_HEADER];
    const verdict = typeof header === 'string' ? verifyIdentity(header, requestTarget(req), secret) : null;
    if (!verdict?.ok) return json(401, { error: { code: 'invalid_identity', message: verdict ? verdict.reason : 'no identity' } });
    const url = new URL(req.url ?? '/', 'http://stand-in');
    callers.push({ method: req.method ?? 'GET', path: url.pathname, identity: verdict.identity });
    const match = /^\/api\/datasets\/versions\/([^/]+)(\/records|\/holds\/([^/]+))?$/.exec(url.pathname);
    const version = match ? versions.get(decodeURIComponent(match[1])) : undefined;
    if (!match || !version || (version.ownerId && version.ownerId !== verdict.identity.userId && verdict.identity.role !== 'admin')) {
      return json(404, { error: { code: 'dataset_version_not_found', message: 'dataset version does not exist' } });
    }
    if (!match[2]) return json(200, version.summary);
    if (match[2] === '/records') {
      const split = url.searchParams.get('split');
      if (split !== 'train' && split !== 'validation') return json(400, { error: { code: 'invalid_request', message: 'query.split: train, validation or test' } });
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(version[split].length ? toNdjson(version[split]) : '');
      return;
    }
    const key = `${version.summary.id}/${decodeURIComponent(match[3])}`;
    if (req.method === 'PUT') holds.add(key);
    else if (req.method === 'DELETE') holds.delete(key);
    req.resume();
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    versions,
    holds,
    callers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function aVersion(id: string, train: DatasetRecordBody[], validation: DatasetRecordBody[], changes: Partial<StandInVersion['summary']> = {}): StandInVersion {
  return {
    summary: { id, datasetId: 'ds_handbook', status: 'frozen', kind: 'text' in (train[0] ?? {}) ? 'text' : 'chat', counts: { train: train.length, validation: validation.length, test: 0 }, createdAt: new Date().toISOString(), ...changes },
    train,
    validation,
  };
}
