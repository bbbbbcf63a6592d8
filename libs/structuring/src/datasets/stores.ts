import type { Db } from '@llmp/db';
import { createPgBuildStore, type BuildStore } from './build-store';
import { createPgDatasetStore, type DatasetStore } from './dataset-store';
import { createPgRecordStore, type RecordStore } from './record-store';
import { createPgVersionStore, type VersionStore } from './version-store';

/** The datasets service's storage, and a way to change several aggregates all or nothing. */
export interface StructuringStores {
  datasets: DatasetStore;
  records: RecordStore;
  versions: VersionStore;
  builds: BuildStore;
  transaction<T>(work: (stores: StructuringStores) => Promise<T>): Promise<T>;
}

export function createPgStructuringStores(db: Db): StructuringStores {
  return {
    datasets: createPgDatasetStore(db),
    records: createPgRecordStore(db),
    versions: createPgVersionStore(db),
    builds: createPgBuildStore(db),
    transaction: (work) => db.transaction((tx) => work(createPgStructuringStores(tx))),
  };
}
