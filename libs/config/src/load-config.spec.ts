import { ConfigError, loadConfig, serviceEnv } from './index';

const secret = 'x'.repeat(32);

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const config = loadConfig(serviceEnv, { LLMP_INTERNAL_SECRET: secret, LLMP_PORT: '3001' });
    expect(config).toMatchObject({ LLMP_PORT: 3001, LLMP_HOST: '127.0.0.1', LLMP_LOG_LEVEL: 'info' });
  });

  it('accepts DATABASE_URL as an alias', () => {
    const config = loadConfig(serviceEnv, { LLMP_INTERNAL_SECRET: secret, DATABASE_URL: 'postgres://a@b/c' });
    expect(config.LLMP_DATABASE_URL).toBe('postgres://a@b/c');
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig(serviceEnv, { LLMP_PORT: 'eighty', LLMP_LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/LLMP_PORT: must be a port number/);
    expect(problems).toMatch(/LLMP_LOG_LEVEL/);
    expect(problems).toMatch(/DATABASE_URL: must be a postgres/);
    expect(problems).toMatch(/LLMP_INTERNAL_SECRET: is required/);
  });
});
