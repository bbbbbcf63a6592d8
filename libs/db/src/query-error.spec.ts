import { createLogger } from '@llmp/core';
import { pgliteThread, testDatabases } from '@llmp/db/testing';

const SECRET = 'sk-live-4f9a8c7e1d2b3a60';

/** A logger writing JSON lines into memory, configured like every service's. */
function aBufferedLogger() {
  const lines: string[] = [];
  const log = createLogger({ name: 'test', level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  return { log, text: () => lines.join('') };
}

describe.each([...testDatabases(), pgliteThread])('failed queries on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  beforeAll(async () => {
    handle = await database.open();
    await handle.db.exec('create table api_tokens (owner text primary key, token text not null unique)');
    await handle.db.query('insert into api_tokens (owner, token) values ($1, $2)', ['alice', SECRET]);
  }, 120_000);
  afterAll(() => handle.close());

  async function loggedFailure(sql: string, params: unknown[]) {
    const error = await handle.db.query(sql, params).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    const { log, text } = aBufferedLogger();
    log.error({ err: error }, 'unhandled error');
    return { error: error as { code?: string; constraint?: string }, logged: text() };
  }

  it('logs the statement of a query that violates a constraint but not the values it was given', async () => {
    const sql = 'insert into api_tokens (owner, token) values ($1, $2)';
    const { error, logged } = await loggedFailure(sql, ['bob', SECRET]);
    expect(logged).toContain(JSON.stringify(sql).slice(1, -1));
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain('bob');
    expect(error).toMatchObject({ code: '23505', constraint: 'api_tokens_token_key' });
  });

  it('logs a value the database quotes in its message as redacted', async () => {
    const sql = 'select owner from api_tokens where length(owner) = $1::int';
    const { error, logged } = await loggedFailure(sql, [SECRET]);
    expect(logged).toContain(sql);
    expect(logged).not.toContain(SECRET);
    expect((error as unknown as Error).message).toBe('invalid input syntax for type integer: "[redacted]"');
  });
});
