import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@llmp/core';
import { createPgliteDb, type Db } from '@llmp/db';
import { loadServiceConfig } from '@llmp/service';
import { ingestionEnv, ingestionResources } from './ingestion.config';

const base = { LLMP_DATABASE_URL: 'postgres://u:p@db/llmp', LLMP_INTERNAL_SECRET: 's'.repeat(32) };
const log = createLogger({ name: 'test', level: 'silent' });

describe('ingestion configuration', () => {
  let db: Db;
  beforeAll(async () => {
    db = await createPgliteDb();
  });
  afterAll(() => db.close());

  it('has working defaults: pgvector, the built-in 384-d embedder, 50 MB and 20 files per upload', () => {
    const config = loadServiceConfig(ingestionEnv, base);
    expect(config).toMatchObject({
      LLMP_VECTOR_STORE: 'pgvector',
      LLMP_DEFAULT_EMBEDDER: 'hashing-ngram-v1',
      LLMP_DEFAULT_EMBEDDER_DIMENSION: 384,
      LLMP_INGESTION_MAX_FILE_MB: 50,
      LLMP_INGESTION_MAX_FILES: 20,
      LLMP_DATA_DIR: '.llmp/data',
      LLMP_INTERNAL_SECRET: 's'.repeat(32),
    });
  });

  it('lists every missing or bad variable at once', () => {
    expect(() =>
      loadServiceConfig(ingestionEnv, {
        ...base,
        LLMP_VECTOR_STORE: 'milvus',
        LLMP_EMBEDDINGS_URL: 'http://ollama:11434/v1',
        LLMP_INGESTION_MAX_FILE_MB: 'lots',
      }),
    ).toThrow(/LLMP_INGESTION_MAX_FILE_MB: must be a number of megabytes[\s\S]*LLMP_MILVUS_ADDRESS: is required when LLMP_VECTOR_STORE=milvus[\s\S]*LLMP_EMBEDDINGS_MODEL: is required[\s\S]*LLMP_EMBEDDINGS_DIMENSION: is required/);
  });

  it('reads an empty GGUF model path (compose passes unset variables so) as no GGUF model', () => {
    expect(loadServiceConfig(ingestionEnv, { ...base, LLMP_EMBEDDINGS_GGUF_PATH: '' }).LLMP_EMBEDDINGS_GGUF_PATH).toBeUndefined();
    expect(() => loadServiceConfig(ingestionEnv, { ...base, LLMP_EMBEDDINGS_GGUF_PATH: '', LLMP_DEFAULT_EMBEDDER: 'gguf' })).toThrow(/LLMP_EMBEDDINGS_GGUF_PATH: is required/);
  });

  it('starts with a GGUF model that cannot be read, naming why, unless that model is the default', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-config-'));
    try {
      expect(() => loadServiceConfig(ingestionEnv, { ...base, LLMP_DEFAULT_EMBEDDER: 'gguf' })).toThrow(/LLMP_EMBEDDINGS_GGUF_PATH: is required when LLMP_DEFAULT_EMBEDDER=gguf/);
      const modelPath = path.join(dir, 'nomic-embed-text.gguf');
      const env = { ...base, LLMP_DATA_DIR: dir, LLMP_INGESTION_WORKERS: '0', LLMP_EMBEDDINGS_GGUF_PATH: modelPath };
      const resources = await ingestionResources(loadServiceConfig(ingestionEnv, env), { db, log });
      expect(resources.embedders.defaultSpec.name).toBe('hashing-ngram-v1');
      expect(resources.embedders.problem({ name: 'gguf:nomic-embed-text', dimension: 768 })).toContain(`the GGUF embedding model ${modelPath} cannot be read: ENOENT`);
      await expect(ingestionResources(loadServiceConfig(ingestionEnv, { ...env, LLMP_DEFAULT_EMBEDDER: 'gguf' }), { db, log })).rejects.toThrow(
        /^the default embedder is unusable: embedder "gguf:nomic-embed-text" is configured but unavailable: /,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds the blob store, pgvector store and embedders it names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-config-'));
    try {
      const config = loadServiceConfig(ingestionEnv, {
        ...base,
        LLMP_DATA_DIR: dir,
        LLMP_INGESTION_MAX_FILE_MB: '2.5',
        LLMP_INGESTION_WORKERS: '0',
        LLMP_EMBEDDINGS_URL: 'http://127.0.0.1:9/v1',
        LLMP_EMBEDDINGS_MODEL: 'bge-small',
        LLMP_EMBEDDINGS_DIMENSION: '384',
        LLMP_DEFAULT_EMBEDDER: 'openai',
      });
      const resources = await ingestionResources(config, { db, log });
      expect(resources.vectors.kind).toBe('pgvector');
      expect(resources.embedders.defaultSpec).toEqual({ name: 'openai:bge-small', dimension: 384 });
      expect(resources.uploads).toEqual({ maxFileBytes: 2.5 * 1024 * 1024, maxFiles: 20 });
      expect(resources.worker).toBe(false);
      await resources.blobs.health();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sizes the parser processes from their variables', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-config-'));
    try {
      const defaults = await ingestionResources(loadServiceConfig(ingestionEnv, { ...base, LLMP_DATA_DIR: dir }), { db, log });
      expect(defaults.pipeline).toMatchObject({ parseWorkers: expect.any(Number), parseMemoryMb: 512, parseTimeoutMs: 120_000, maxParseAttempts: 2 });
      const config = loadServiceConfig(ingestionEnv, {
        ...base,
        LLMP_DATA_DIR: dir,
        LLMP_INGESTION_PARSE_WORKERS: '3',
        LLMP_INGESTION_PARSE_MEMORY_MB: '1024',
        LLMP_INGESTION_PARSE_TIMEOUT_S: '30',
        LLMP_INGESTION_PARSE_ATTEMPTS: '1',
      });
      expect((await ingestionResources(config, { db, log })).pipeline).toMatchObject({ parseWorkers: 3, parseMemoryMb: 1024, parseTimeoutMs: 30_000, maxParseAttempts: 1 });
      expect(() => loadServiceConfig(ingestionEnv, { ...base, LLMP_INGESTION_PARSE_MEMORY_MB: '16', LLMP_INGESTION_PARSE_WORKERS: '0' })).toThrow(
        /LLMP_INGESTION_PARSE_WORKERS: must be a positive whole number[\s\S]*LLMP_INGESTION_PARSE_MEMORY_MB: must be at least 64/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('computes lexemes with the english lexer unless told to leave them to the database', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-config-'));
    try {
      const english = await ingestionResources(loadServiceConfig(ingestionEnv, { ...base, LLMP_DATA_DIR: dir }), { db, log });
      expect(await english.lexer?.lexemes(['The runners were running'])).toEqual(["'run':4 'runner':2"]);
      await english.lexer?.close();
      const database = await ingestionResources(loadServiceConfig(ingestionEnv, { ...base, LLMP_DATA_DIR: dir, LLMP_INGESTION_LEXER: 'database' }), { db, log });
      expect(database.lexer).toBeUndefined();
      expect(() => loadServiceConfig(ingestionEnv, { ...base, LLMP_INGESTION_LEXER: 'standby' })).toThrow(/LLMP_INGESTION_LEXER: must be "english" or "database"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on Milvus that cannot be reached, naming it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmp-config-'));
    try {
      const config = loadServiceConfig(ingestionEnv, { ...base, LLMP_VECTOR_STORE: 'milvus', LLMP_MILVUS_ADDRESS: '127.0.0.1:9', LLMP_DATA_DIR: dir });
      await expect(ingestionResources(config, { db, log })).rejects.toThrow(/^Milvus at 127.0.0.1:9 is not reachable/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
