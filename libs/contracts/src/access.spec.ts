import { accessLevel, canAdminister, canRead, canWrite, SYSTEM, type Identity, type ResourceAccess } from './index';

const person = (userId: string, role: Identity['role'] = 'user'): Identity => ({ userId, username: userId, role, via: 'token' });
const owner = person('usr_owner');
const stranger = person('usr_stranger');
const resource = (r: Partial<ResourceAccess> = {}): ResourceAccess => ({ ownerId: 'usr_owner', visibility: 'private', memberRole: null, ...r });

describe('the access policy', () => {
  it.each([
    ['the owner of a private resource', owner, resource(), 'administer'],
    ['a stranger to a private resource', stranger, resource(), 'none'],
    ['a stranger to an organisation resource', stranger, resource({ visibility: 'organisation' }), 'read'],
    ['a viewer of a private resource', stranger, resource({ memberRole: 'viewer' }), 'read'],
    ['an editor of a private resource', stranger, resource({ memberRole: 'editor' }), 'write'],
    ['an editor of an organisation resource', stranger, resource({ visibility: 'organisation', memberRole: 'editor' }), 'write'],
    ['a manager, on someone else’s private resource', person('usr_m', 'manager'), resource(), 'administer'],
    ['an admin, on someone else’s private resource', person('usr_a', 'admin'), resource(), 'administer'],
    ['the platform itself', SYSTEM, resource(), 'administer'],
    ['anyone but a manager, on an ownerless private resource', stranger, resource({ ownerId: null }), 'none'],
  ] as const)('gives %s the level %s', (_label, caller, res, level) => {
    expect(accessLevel(caller, res)).toBe(level);
  });

  it('orders the levels: administering implies writing, writing implies reading', () => {
    expect([canRead, canWrite, canAdminister].map((can) => can(owner, resource()))).toEqual([true, true, true]);
    expect([canRead, canWrite, canAdminister].map((can) => can(stranger, resource({ memberRole: 'editor' })))).toEqual([true, true, false]);
    expect([canRead, canWrite, canAdminister].map((can) => can(stranger, resource({ visibility: 'organisation' })))).toEqual([true, false, false]);
    expect([canRead, canWrite, canAdminister].map((can) => can(stranger, resource()))).toEqual([false, false, false]);
  });
});
