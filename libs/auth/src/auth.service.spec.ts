import { createLogger } from '@llmp/core';
import { migrate } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import { createAuthService, type AuthService } from './auth.service';
import { authMigrations } from './migrations';
import { TEST_PASSWORD_COST } from './testing';

const log = createLogger({ name: 'test', level: 'silent' });

describe.each(testDatabases())('auth service on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  let auth: AuthService;

  beforeEach(async () => {
    handle = await database.open();
    await migrate(handle.db, authMigrations);
    auth = createAuthService({ db: handle.db, log, passwordCost: TEST_PASSWORD_COST });
  });
  afterEach(() => handle.close());

  it('bootstraps one admin with a generated password, only on an empty database', async () => {
    const first = await auth.bootstrapAdmin();
    expect(first?.password).toHaveLength(24);
    expect(await auth.bootstrapAdmin()).toBeNull();
    const session = await auth.login('admin', first!.password);
    expect(session.user.role).toBe('admin');
  });

  it('logs in, authenticates the token and logs out', async () => {
    await auth.createUser({ username: 'bob', password: 'bob-password', role: 'user' });
    const { token } = await auth.login('BOB', 'bob-password');
    expect(await auth.authenticate(token)).toMatchObject({ username: 'bob', role: 'user', via: 'token' });
    await auth.logout(token);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('refuses a wrong password and an unknown user with the same message', async () => {
    await auth.createUser({ username: 'bob', password: 'bob-password', role: 'user' });
    const wrong = await auth.login('bob', 'nope').catch((e) => e);
    const unknown = await auth.login('nobody', 'nope').catch((e) => e);
    expect(wrong.status).toBe(401);
    expect(unknown.message).toBe(wrong.message);
  });

  it('rejects a duplicate username regardless of case', async () => {
    await auth.createUser({ username: 'Carol', password: 'carol-password', role: 'user' });
    await expect(auth.createUser({ username: 'carol', password: 'x-password', role: 'user' })).rejects.toMatchObject({ status: 409 });
  });

  it('issues API keys that authenticate, are stored hashed and can be revoked', async () => {
    const user = await auth.createUser({ username: 'dave', password: 'dave-password', role: 'manager' });
    const { key, secret } = await auth.createApiKey(user.id, { name: 'ci' });
    expect(secret.startsWith(key.prefix)).toBe(true);
    const { rows } = await handle.db.query<{ key_hash: string }>('select key_hash from gateway.api_keys');
    expect(rows[0].key_hash).not.toContain(secret);
    expect(await auth.authenticate(secret)).toMatchObject({ userId: user.id, role: 'manager', via: 'api_key' });
    expect((await auth.listApiKeys(user.id))[0].lastUsedAt).not.toBeNull();
    await auth.revokeApiKey(user.id, key.id);
    await expect(auth.authenticate(secret)).rejects.toMatchObject({ code: 'invalid_api_key' });
  });

  it('cuts every credential of a disabled user', async () => {
    const admin = await auth.createUser({ username: 'root', password: 'root-password', role: 'admin' });
    const eve = await auth.createUser({ username: 'eve', password: 'eve-password', role: 'user' });
    const { token } = await auth.login('eve', 'eve-password');
    const { secret } = await auth.createApiKey(eve.id, { name: 'k' });
    const actor = { userId: admin.id, username: 'root', role: 'admin' as const, via: 'token' as const };
    await auth.updateUser(actor, eve.id, { disabled: true });
    await expect(auth.authenticate(token)).rejects.toMatchObject({ status: 401 });
    await expect(auth.authenticate(secret)).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('eve', 'eve-password')).rejects.toMatchObject({ status: 401 });
  });

  it('keeps an admin from disabling themselves and from removing the last admin', async () => {
    const admin = await auth.createUser({ username: 'root', password: 'root-password', role: 'admin' });
    const actor = { userId: admin.id, username: 'root', role: 'admin' as const, via: 'token' as const };
    await expect(auth.updateUser(actor, admin.id, { disabled: true })).rejects.toMatchObject({ status: 403, code: 'cannot_disable_self' });
    await expect(auth.updateUser(actor, admin.id, { role: 'user' })).rejects.toMatchObject({ status: 409, code: 'last_admin' });
  });

  it('invalidates sessions when the password is reset', async () => {
    const admin = await auth.createUser({ username: 'root', password: 'root-password', role: 'admin' });
    const frank = await auth.createUser({ username: 'frank', password: 'frank-password', role: 'user' });
    const { token } = await auth.login('frank', 'frank-password');
    await auth.resetPassword({ userId: admin.id, username: 'root', role: 'admin', via: 'token' }, frank.id, 'new-password-1');
    await expect(auth.authenticate(token)).rejects.toMatchObject({ status: 401 });
    await expect(auth.login('frank', 'new-password-1')).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});
