import { accessLevel, satisfiesAccess, SYSTEM, type AccessLevel, type Caller } from '@llmp/contracts';
import { forbidden, notFound } from '@llmp/core';
import type { Dataset } from './dataset';
import type { DatasetStore } from './dataset-store';

export const datasetNotFound = (id: string) => notFound({ code: 'dataset_not_found', message: `dataset ${id} does not exist` });

/**
 * The one gate in front of a dataset and everything in it (records,
 * versions, builds): 404 when the caller cannot see it, as if it did not
 * exist; 403 when they see it but may not do this.
 */
export async function requireDataset(
  datasets: DatasetStore,
  id: string,
  caller: Caller,
  needed: Exclude<AccessLevel, 'none'>,
  { action, missing = () => datasetNotFound(id) }: { action: string; missing?: () => Error },
): Promise<Dataset> {
  const dataset = await datasets.get(id);
  if (!dataset) throw missing();
  const memberRole = caller === SYSTEM ? null : await datasets.memberRole(id, caller.userId);
  const level = accessLevel(caller, { ownerId: dataset.ownerId, visibility: dataset.visibility, memberRole });
  if (level === 'none') throw missing();
  if (!satisfiesAccess(level, needed)) {
    const who = needed === 'write' ? 'its owner, an editor or a manager' : 'its owner or a manager';
    throw forbidden({ code: 'access_denied', message: `only ${who} may ${action}; you may ${level === 'write' ? 'edit its contents' : 'only read it'}` });
  }
  return dataset;
}
