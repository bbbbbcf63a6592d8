import { z } from 'zod';

export const port = z.coerce
  .number({ message: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const secret = z.string({ message: 'is required' }).min(32, 'must be at least 32 characters');

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string');

/**
 * What every service reads: where to listen, how to log, which database,
 * and the secret that signs identities between the gateway and services.
 * `DATABASE_URL` is accepted as an alias of `LLMP_DATABASE_URL`.
 */
export const serviceEnv = z
  .object({
    LLMP_HOST: z.string().default('127.0.0.1'),
    LLMP_PORT: port.optional(),
    LLMP_LOG_LEVEL: logLevel.default('info'),
    LLMP_DATABASE_URL: postgresUrl.optional(),
    DATABASE_URL: postgresUrl.optional(),
    LLMP_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    LLMP_INTERNAL_SECRET: secret,
    LLMP_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  })
  .transform(({ DATABASE_URL, LLMP_DATABASE_URL, ...rest }) => ({
    ...rest,
    LLMP_DATABASE_URL: LLMP_DATABASE_URL ?? DATABASE_URL,
  }));

export type ServiceEnv = z.infer<typeof serviceEnv>;

export function requireDatabaseUrl<T extends { LLMP_DATABASE_URL?: string }>(config: T): string {
  if (!config.LLMP_DATABASE_URL) {
    throw new Error(
      'LLMP_DATABASE_URL (or DATABASE_URL) is required to run a service alone; `npm start` runs every service over the embedded database instead.',
    );
  }
  return config.LLMP_DATABASE_URL;
}
