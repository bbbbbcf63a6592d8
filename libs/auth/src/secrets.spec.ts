import { generatePassword, hashPassword, verifyPassword } from './password';
import { requestTarget, signIdentity, verifyIdentity } from './secrets';
import { TEST_PASSWORD_COST } from './testing';

const secret = 's'.repeat(32);
const alice = { userId: 'usr_1', username: 'alice', role: 'manager' as const, via: 'token' as const };

describe('passwords', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('correct horse', TEST_PASSWORD_COST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsE', stored)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
  });

  it('salts each hash', async () => {
    expect(await hashPassword('same', TEST_PASSWORD_COST)).not.toBe(await hashPassword('same', TEST_PASSWORD_COST));
  });

  it('generates long passwords without ambiguous characters', () => {
    const passwords = Array.from({ length: 50 }, () => generatePassword());
    expect(new Set(passwords).size).toBe(50);
    for (const p of passwords) expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{24}$/);
  });
});

describe('signed identities', () => {
  it('round-trips an identity for the request it was signed for', () => {
    const header = signIdentity(alice, 'GET /api/x', secret);
    expect(verifyIdentity(header, 'GET /api/x', secret)).toEqual({ ok: true, identity: alice, nonce: expect.any(String), expiresAt: expect.any(Number) });
  });

  it('refuses another request, another secret, a tampered payload and an expired one', () => {
    const header = signIdentity(alice, 'GET /api/x', secret);
    expect(verifyIdentity(header, 'DELETE /api/x', secret)).toMatchObject({ ok: false, reason: /another request/ });
    expect(verifyIdentity(header, 'GET /api/x', 't'.repeat(32))).toMatchObject({ ok: false, reason: /signature/ });
    const [v, payload, mac] = header.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expect(verifyIdentity(`${v}.${forged}.${mac}`, 'GET /api/x', secret)).toMatchObject({ ok: false });
    expect(verifyIdentity(signIdentity(alice, 'GET /api/x', secret, -1), 'GET /api/x', secret)).toMatchObject({ ok: false, reason: /expired/ });
    expect(verifyIdentity('garbage', 'GET /api/x', secret)).toMatchObject({ ok: false, reason: /malformed/ });
  });

  it('gives every signature its own nonce', () => {
    const nonces = new Set(Array.from({ length: 20 }, () => {
      const verdict = verifyIdentity(signIdentity(alice, 'GET /api/x', secret), 'GET /api/x', secret);
      return verdict.ok ? verdict.nonce : '';
    }));
    expect(nonces.size).toBe(20);
  });

  it('binds the target to the body length and type as well as the method and URL', () => {
    const post = { method: 'POST', originalUrl: '/api/x?y=1', headers: { 'content-length': '10', 'content-type': 'application/json' } };
    const header = signIdentity(alice, requestTarget(post), secret);
    expect(verifyIdentity(header, requestTarget(post), secret)).toMatchObject({ ok: true });
    expect(verifyIdentity(header, requestTarget({ ...post, headers: { ...post.headers, 'content-length': '11' } }), secret)).toMatchObject({ ok: false });
    expect(verifyIdentity(header, requestTarget({ ...post, headers: { ...post.headers, 'content-type': 'text/plain' } }), secret)).toMatchObject({ ok: false });
    expect(verifyIdentity(header, requestTarget({ ...post, headers: {} }), secret)).toMatchObject({ ok: false });
  });
});
