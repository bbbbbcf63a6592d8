import { stat } from 'node:fs/promises';
import { notFound } from '@llmp/core';
import { roleSatisfies, type Identity } from '@llmp/contracts';
import type { Page } from '../jobs/job';
import type { PageQuery } from '../jobs/job.store';
import type { TrainedModel } from './model';
import type { ModelStore } from './model.store';

export interface ModelsService {
  list(identity: Identity, query: PageQuery): Promise<Page<TrainedModel>>;
  get(identity: Identity, id: string): Promise<TrainedModel>;
  /** The model and its file, checked to be there and whole. */
  artifact(identity: Identity, id: string): Promise<{ model: TrainedModel; path: string; sizeBytes: number }>;
}

export function createModelsService({ models }: { models: ModelStore }): ModelsService {
  const mayManage = (identity: Identity) => roleSatisfies(identity.role, 'manager');
  const service: ModelsService = {
    list: (identity, query) => models.list({ ...query, ownerId: mayManage(identity) ? undefined : identity.userId }),
    async get(identity, id) {
      const model = await models.get(id);
      if (!model || (model.ownerId !== identity.userId && !mayManage(identity))) throw notFound({ code: 'model_not_found', message: `model ${id} does not exist` });
      return model;
    },
    async artifact(identity, id) {
      const model = await service.get(identity, id);
      const size = await stat(model.artifactPath).then(
        (s) => s.size,
        () => null,
      );
      if (size !== model.sizeBytes) throw notFound({ code: 'model_artifact_missing', message: `the file of model ${id} is missing or incomplete on this server` });
      return { model, path: model.artifactPath, sizeBytes: size };
    },
  };
  return service;
}
