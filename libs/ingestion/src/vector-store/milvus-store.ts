import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import {
  checkCollectionName,
  checkSearch,
  VectorStoreUnavailableError,
  type VectorMatch,
  type VectorRecord,
  type VectorSearchOptions,
  type VectorStore,
} from './vector-store';

export interface MilvusStoreOptions {
  /** `host:port` of Milvus' gRPC endpoint, e.g. `milvus:19530`. */
  address: string;
  token?: string;
  database?: string;
  /** Per call (default 15 000). */
  timeoutMs?: number;
  /** Collections get this prefix, so several deployments can share one Milvus (default `llmp_`). */
  prefix?: string;
}

interface Status {
  error_code: string | number;
  reason: string;
}

const BATCH = 500;

function check(status: Status | undefined, what: string): void {
  if (status && status.error_code !== 'Success' && status.error_code !== 0) {
    throw new Error(`Milvus could not ${what}: ${status.reason || String(status.error_code)}`);
  }
}

const quote = (value: string) => JSON.stringify(value);

/**
 * Milvus through its official SDK, for the staging `milvus` profile: one
 * collection per knowledge base and embedder, an HNSW index on cosine
 * similarity, and strong consistency so a document is searchable the
 * moment it is ready. Writes are not transactional with Postgres; the
 * pipeline deletes a document's vectors before writing them again.
 */
export async function createMilvusStore({ address, token, database, timeoutMs = 15_000, prefix = 'llmp_' }: MilvusStoreOptions): Promise<VectorStore> {
  // The SDK connects eagerly in its constructor and an unreachable server
  // would become an unhandled rejection: connect explicitly instead.
  const client = new MilvusClient({ address, token, database, timeout: timeoutMs, __SKIP_CONNECT__: true, logLevel: 'error' });
  client.connect(MilvusClient.sdkInfo.version);
  try {
    await client.connectPromise;
    const health = await client.checkHealth();
    if (!health.isHealthy) throw new Error(`it reports itself unhealthy: ${JSON.stringify(health.reasons)}`);
  } catch (error) {
    await client.closeConnection().catch(() => undefined);
    throw new VectorStoreUnavailableError(`Milvus at ${address} is not reachable: ${(error as Error).message}`, { cause: error });
  }
  const collection = (name: string) => `${prefix}${checkCollectionName(name)}`;

  const store: VectorStore = {
    kind: 'milvus',

    async ensureCollection(name, { dimension }) {
      const collection_name = collection(name);
      const exists = await client.hasCollection({ collection_name });
      check(exists.status, `look up collection ${collection_name}`);
      if (exists.value) {
        const described = await client.describeCollection({ collection_name });
        check(described.status, `describe collection ${collection_name}`);
        const field = described.schema.fields.find((f) => f.name === 'vector');
        const dim = Number((field as unknown as { dim?: unknown; type_params?: Array<{ key: string; value: string }> })?.dim ??
          (field as unknown as { type_params?: Array<{ key: string; value: string }> })?.type_params?.find((p) => p.key === 'dim')?.value);
        if (dim && dim !== dimension) throw new Error(`collection "${name}" holds ${dim}-dimensional vectors, not ${dimension}`);
      } else {
        check(
          await client.createCollection({
            collection_name,
            consistency_level: 'Strong',
            fields: [
              { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
              { name: 'document_id', data_type: DataType.VarChar, max_length: 64 },
              { name: 'vector', data_type: DataType.FloatVector, dim: dimension },
            ],
          }),
          `create collection ${collection_name}`,
        );
        check(
          await client.createIndex({
            collection_name,
            field_name: 'vector',
            index_type: 'HNSW',
            metric_type: 'COSINE',
            params: { M: 16, efConstruction: 200 },
          }),
          `index collection ${collection_name}`,
        );
      }
      check(await client.loadCollectionSync({ collection_name }), `load collection ${collection_name}`);
    },

    async dropCollection(name) {
      const collection_name = collection(name);
      const exists = await client.hasCollection({ collection_name });
      if (exists.value) check(await client.dropCollection({ collection_name }), `drop collection ${collection_name}`);
    },

    async upsert(name, records: VectorRecord[]) {
      for (let i = 0; i < records.length; i += BATCH) {
        const data = records.slice(i, i + BATCH).map((r) => ({ id: r.id, document_id: r.documentId, vector: r.vector }));
        const result = await client.upsert({ collection_name: collection(name), data });
        check(result.status, `write ${data.length} vectors`);
      }
    },

    async deleteDocuments(name, documentIds) {
      if (!documentIds.length) return;
      const result = await client.delete({ collection_name: collection(name), filter: `document_id in [${documentIds.map(quote).join(',')}]` });
      check(result.status, 'delete vectors');
    },

    async search(name, vector, { topK, documentIds, exact = false }: VectorSearchOptions): Promise<VectorMatch[]> {
      checkSearch(vector, topK);
      const result = await client.search({
        collection_name: collection(name),
        data: [vector],
        limit: topK,
        output_fields: ['document_id'],
        metric_type: 'COSINE',
        // A very wide beam approximates an exact scan closely.
        params: { ef: exact ? Math.max(topK, 4096) : Math.max(topK, 100) },
        ...(documentIds ? { filter: `document_id in [${documentIds.map(quote).join(',')}]` } : {}),
      });
      check(result.status, 'search');
      const rows = result.results as unknown as Array<{ id: string; score: number; document_id: string }>;
      return rows.map((r) => ({ id: String(r.id), documentId: r.document_id, score: Number(r.score) }));
    },

    async count(name) {
      const result = await client.query({ collection_name: collection(name), filter: '', output_fields: ['count(*)'] });
      check(result.status, 'count vectors');
      return Number((result.data[0] as Record<string, unknown>)['count(*)'] ?? 0);
    },

    async health() {
      const health = await client.checkHealth();
      if (!health.isHealthy) throw new Error(`Milvus at ${address} reports itself unhealthy`);
    },

    async close() {
      await client.closeConnection();
    },
  };
  return store;
}
