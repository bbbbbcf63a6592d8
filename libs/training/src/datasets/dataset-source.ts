import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { forbidden, notFound, unprocessable, upstreamFailed, type DomainError } from '@llmp/core';
import { datasetRecordSchema, datasetVersionSummarySchema, type DatasetSplit, type DatasetVersionSummary, type Identity } from '@llmp/contracts';
import type { ServiceClient } from '@llmp/auth';

export interface DownloadedSplit {
  records: number;
  /** UTF-8 bytes of the messages' and texts' content: an upper bound of the byte-level token count. */
  contentBytes: number;
  messages: number;
}

/** The frozen dataset versions training reads, as the datasets service serves them. */
export interface DatasetSource {
  /** The version as `identity` may see it; refuses unknown, hidden and unfrozen versions. */
  getVersion(identity: Identity, versionId: string): Promise<DatasetVersionSummary>;
  /** Writes the split's records to `file` as NDJSON, checking each one. */
  downloadSplit(identity: Identity, versionId: string, split: DatasetSplit, file: string): Promise<DownloadedSplit>;
  /** Keeps the dataset from being deleted while `holder` (a job) depends on it. */
  hold(identity: Identity, versionId: string, holder: string): Promise<void>;
  release(identity: Identity, versionId: string, holder: string): Promise<void>;
}

async function errorOf(res: Response, versionId: string): Promise<DomainError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  const said = body?.error?.message ? `: ${body.error.message}` : '';
  if (res.status === 404) return notFound({ code: 'dataset_version_not_found', message: `dataset version ${versionId} does not exist`, details: { param: 'training_file' } });
  if (res.status === 403) return forbidden({ code: 'dataset_version_forbidden', message: `you may not train on dataset version ${versionId}${said}`, details: { param: 'training_file' } });
  if (res.status === 409 || res.status === 422) return unprocessable({ code: 'dataset_version_not_frozen', message: `dataset version ${versionId} cannot be trained on${said}`, details: { param: 'training_file' } });
  return upstreamFailed({ code: 'datasets_unavailable', message: `the datasets service answered ${res.status} for dataset version ${versionId}${said}` });
}

/** Over HTTP, signed as the user the job is for (or as this service for its own work), through `ServiceClient`. */
export function createHttpDatasetSource(client: ServiceClient): DatasetSource {
  const versionPath = (id: string) => `/api/datasets/versions/${encodeURIComponent(id)}`;
  const call = async (identity: Identity, req: Parameters<ServiceClient['request']>[1]) => {
    try {
      return await client.request(identity, req);
    } catch (error) {
      throw upstreamFailed({ code: 'datasets_unavailable', message: `the datasets service could not be reached: ${(error as Error).message}`, cause: error });
    }
  };
  return {
    async getVersion(identity, versionId) {
      const res = await call(identity, { path: versionPath(versionId) });
      if (!res.ok) throw await errorOf(res, versionId);
      const body = (await res.json()) as { status?: unknown };
      if (body?.status !== 'frozen') throw unprocessable({ code: 'dataset_version_not_frozen', message: `dataset version ${versionId} is ${String(body?.status ?? 'not frozen')}; only frozen versions can be trained on`, details: { param: 'training_file' } });
      const parsed = datasetVersionSummarySchema.safeParse(body);
      if (!parsed.success) throw upstreamFailed({ code: 'datasets_contract_broken', message: `the datasets service described version ${versionId} in an unexpected shape` });
      return parsed.data;
    },

    async downloadSplit(identity, versionId, split, file) {
      const res = await call(identity, { path: `${versionPath(versionId)}/records?split=${split}` });
      if (!res.ok || !res.body) throw await errorOf(res, versionId);
      const out = createWriteStream(file);
      const lines = createInterface({ input: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), crlfDelay: Infinity });
      const result: DownloadedSplit = { records: 0, contentBytes: 0, messages: 0 };
      let lineNo = 0;
      try {
        for await (const line of lines) {
          lineNo += 1;
          if (line.trim() === '') continue;
          let record;
          try {
            record = datasetRecordSchema.parse(JSON.parse(line));
          } catch {
            throw upstreamFailed({ code: 'datasets_contract_broken', message: `record ${lineNo} of the ${split} split of dataset version ${versionId} is not a dataset record` });
          }
          result.records += 1;
          if ('text' in record) result.contentBytes += Buffer.byteLength(record.text);
          else
            for (const m of record.messages) {
              result.contentBytes += Buffer.byteLength(m.content);
              result.messages += 1;
            }
          if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
        }
      } finally {
        out.end();
        await once(out, 'close');
      }
      return result;
    },

    async hold(identity, versionId, holder) {
      const res = await call(identity, { method: 'PUT', path: `${versionPath(versionId)}/holds/${encodeURIComponent(holder)}`, json: { holder } });
      if (!res.ok) throw await errorOf(res, versionId);
      await res.body?.cancel();
    },

    async release(identity, versionId, holder) {
      const res = await call(identity, { method: 'DELETE', path: `${versionPath(versionId)}/holds/${encodeURIComponent(holder)}` });
      if (!res.ok && res.status !== 404) throw await errorOf(res, versionId);
      await res.body?.cancel();
    },
  };
}
