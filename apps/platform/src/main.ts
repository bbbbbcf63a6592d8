import { loadConfig, port, logLevel, z } from '@llmp/config';
import { createLogger } from '@llmp/core';
import { main } from '@llmp/service';
import { startPlatform } from './platform';

const platformEnv = z.object({
  LLMP_DATA_DIR: z.string().default('.llmp/data'),
  LLMP_HOST: z.string().default('127.0.0.1'),
  LLMP_PORT: port.default(8080),
  LLMP_LOG_LEVEL: logLevel.default('warn'),
  /** `database` computes full-text lexemes in the database: slower ingestion, no second engine's memory (see the README). */
  LLMP_INGESTION_LEXER: z.enum(['english', 'standby', 'database']).default('english'),
  /** A GGUF embedding model knowledge bases may choose, run in this process (see the README). */
  LLMP_EMBEDDINGS_GGUF_PATH: z.string().min(1).optional(),
  LLMP_EMBEDDINGS_GGUF_QUERY_PREFIX: z.string().default(''),
  LLMP_EMBEDDINGS_GGUF_DOCUMENT_PREFIX: z.string().default(''),
});

main(async () => {
  const config = loadConfig(platformEnv, process.env);
  const log = createLogger({ name: 'platform', level: config.LLMP_LOG_LEVEL });
  const started = performance.now();
  const platform = await startPlatform({
    dataDir: config.LLMP_DATA_DIR,
    host: config.LLMP_HOST,
    port: config.LLMP_PORT,
    log,
    ingestionLexer: config.LLMP_INGESTION_LEXER,
    ggufEmbedder: config.LLMP_EMBEDDINGS_GGUF_PATH
      ? {
          modelPath: config.LLMP_EMBEDDINGS_GGUF_PATH,
          queryPrefix: config.LLMP_EMBEDDINGS_GGUF_QUERY_PREFIX,
          documentPrefix: config.LLMP_EMBEDDINGS_GGUF_DOCUMENT_PREFIX,
        }
      : undefined,
  });
  const lines = [
    `llmp is running at ${platform.url} (started in ${Math.round(performance.now() - started)} ms)`,
    `  data:    ${config.LLMP_DATA_DIR}`,
    `  health:  ${platform.url}/healthz`,
    `  API:     ${platform.url}/api/openapi.json`,
  ];
  if (platform.firstAdmin) {
    lines.push(
      '',
      'First run: an admin account was created. Its password is shown only now:',
      `  username: ${platform.firstAdmin.username}`,
      `  password: ${platform.firstAdmin.password}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('stopping…\n');
      void platform.stop().then(() => process.exit(0));
    });
  }
});
