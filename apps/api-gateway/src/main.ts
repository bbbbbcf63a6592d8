import { createAuthService } from '@llmp/auth';
import { z } from '@llmp/config';
import { createGatewayApp, gatewayMigrations } from '@llmp/gateway';
// The schemas only: each service's code (its parsers, tokenizers, vector clients) stays out of the gateway's process.
import { agentsMigrations } from '@llmp/agents/migrations';
import { ingestionMigrations } from '@llmp/ingestion/migrations';
import { structuringMigrations } from '@llmp/structuring/migrations';
import { trainingMigrations } from '@llmp/training/migrations';
import { main, runService } from '@llmp/service';

const url = z.string().url('must be a URL such as http://document-ingestion:3001');

const gatewayEnv = z.object({
  LLMP_INGESTION_URL: url.default('http://127.0.0.1:3001'),
  LLMP_STRUCTURING_URL: url.default('http://127.0.0.1:3002'),
  LLMP_TRAINING_URL: url.default('http://127.0.0.1:3003'),
  LLMP_AGENTS_URL: url.default('http://127.0.0.1:3004'),
  LLMP_DASHBOARD_URL: url.default('http://127.0.0.1:3005'),
  LLMP_SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  LLMP_PROXY_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** How long a checked session or API key is trusted without a database lookup; revocations still apply at once. 0 turns it off. */
  LLMP_CREDENTIAL_CACHE_TTL_S: z.coerce.number().min(0).max(60).default(10),
  /** Password hashes computed at once (128 MiB and one libuv thread each) and how many may wait. */
  LLMP_PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  LLMP_PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(10_000).default(16),
  /** The longest delay after repeated failed logins. */
  LLMP_LOGIN_MAX_DELAY_S: z.coerce.number().int().min(1).max(3600).default(300),
  /** When no user exists yet, `admin` is created with this password. */
  LLMP_BOOTSTRAP_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
});

main(() =>
  runService({
    name: 'api-gateway',
    defaultPort: 8080,
    env: gatewayEnv,
    // The gateway's `migrate` brings every schema up to date, so one one-shot
    // container prepares the whole database before any service takes traffic.
    migrations: [gatewayMigrations, ingestionMigrations, structuringMigrations, trainingMigrations, agentsMigrations],
    async createApp({ db, log, config, isReady }) {
      const maxDelayMs = config.LLMP_LOGIN_MAX_DELAY_S * 1000;
      const auth = createAuthService({
        db,
        log,
        sessionTtlHours: config.LLMP_SESSION_TTL_HOURS,
        passwordHashing: { concurrency: config.LLMP_PASSWORD_HASH_CONCURRENCY, maxQueue: config.LLMP_PASSWORD_HASH_QUEUE },
        loginThrottle: { username: { maxDelayMs }, client: { maxDelayMs } },
        credentialCache: { ttlMs: config.LLMP_CREDENTIAL_CACHE_TTL_S * 1000 },
      });
      if (config.LLMP_CREDENTIAL_CACHE_TTL_S > 0) await auth.listenForRevocations();
      if (config.LLMP_BOOTSTRAP_ADMIN_PASSWORD) {
        const created = await auth.bootstrapAdmin('admin', config.LLMP_BOOTSTRAP_ADMIN_PASSWORD);
        if (created) log.info('created the first admin user "admin" from LLMP_BOOTSTRAP_ADMIN_PASSWORD');
      }
      const app = createGatewayApp({
        db,
        log,
        auth,
        internalSecret: config.LLMP_INTERNAL_SECRET,
        isReady,
        proxyTimeoutMs: config.LLMP_PROXY_TIMEOUT_MS,
        services: {
          ingestion: config.LLMP_INGESTION_URL,
          structuring: config.LLMP_STRUCTURING_URL,
          training: config.LLMP_TRAINING_URL,
          agents: config.LLMP_AGENTS_URL,
          dashboard: config.LLMP_DASHBOARD_URL,
        },
      });
      const closeApp = app.locals.close;
      app.locals.close = async () => {
        await closeApp?.();
        await auth.close();
      };
      return app;
    },
  }),
);
