import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { serviceIdentity, type ServiceClient } from '@llmp/auth';
import type { Identity } from '@llmp/contracts';
import { upstreamFailed, upstreamTimeout, unavailable } from '@llmp/core';
import { AGENTS_SERVICE } from './ingestion-client';

/** What agents need from the training service's model registry, over its HTTP API only. */
export interface ModelRegistry {
  /** Whether `identity` may use the trained model (a user choosing it for an agent). */
  canRead(identity: Identity, modelId: string): Promise<boolean>;
  /** Copies the model's GGUF to `file` (written beside it first, then renamed, so a reader never sees half a file). */
  download(modelId: string, file: string): Promise<void>;
}

export function createTrainingModelRegistry(client: ServiceClient): ModelRegistry {
  const self = serviceIdentity(AGENTS_SERVICE);
  const call = async (identity: Identity, urlPath: string) => {
    try {
      return await client.request(identity, { path: urlPath });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') throw upstreamTimeout({ code: 'model_registry_timeout', message: 'the model registry did not answer in time', cause: error });
      throw upstreamFailed({ code: 'model_registry_unavailable', message: `the model registry is not reachable (${(error as Error).message})`, cause: error });
    }
  };
  return {
    async canRead(identity, modelId) {
      const res = await call(identity, `/api/training/models/${encodeURIComponent(modelId)}`);
      await res.body?.cancel();
      if (res.status === 200) return true;
      if (res.status === 404 || res.status === 403) return false;
      throw upstreamFailed({ code: 'model_registry_unavailable', message: `model training answered ${res.status} when asked about model ${modelId}` });
    },
    async download(modelId, file) {
      const res = await call(self, `/api/training/models/${encodeURIComponent(modelId)}/download`);
      if (res.status === 404) {
        await res.body?.cancel();
        throw unavailable({ code: 'model_missing', message: `the trained model ${modelId} is no longer in the registry` });
      }
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel();
        throw upstreamFailed({ code: 'model_registry_unavailable', message: `model training answered ${res.status} to the download of model ${modelId}` });
      }
      try {
        await mkdir(path.dirname(file), { recursive: true });
      } catch (error) {
        await res.body.cancel();
        // A deployment fault, said as such: the models directory (LLMP_MODELS_DIR) must be writable by the service.
        throw unavailable({ code: 'models_dir_unwritable', message: `the models directory cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); set LLMP_MODELS_DIR to a writable directory`, cause: error });
      }
      const partial = `${file}.${process.pid}.partial`;
      try {
        await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(partial));
        await rename(partial, file);
      } catch (error) {
        await rm(partial, { force: true });
        throw upstreamFailed({ code: 'model_registry_unavailable', message: `the download of model ${modelId} broke off (${(error as Error).message})`, cause: error });
      }
    },
  };
}
