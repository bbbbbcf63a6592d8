import { SYSTEM, type Identity } from '@llmp/contracts';
import { testDatabases } from '@llmp/db/testing';
import { readableBy, type Db } from './index';

const person = (userId: string, role: Identity['role'] = 'user'): Identity => ({ userId, username: userId, role, via: 'token' });
const tables = { alias: 'r', members: 'sample.members', resourceColumn: 'resource_id' };

describe.each(testDatabases())('readableBy on $name', (database) => {
  let handle: Awaited<ReturnType<typeof database.open>>;
  let db: Db;
  beforeAll(async () => {
    handle = await database.open();
    db = handle.db;
    await db.exec(`
      create schema sample;
      create table sample.resources (id text primary key, owner_id text, visibility text not null);
      create table sample.members (resource_id text not null, user_id text not null, role text not null);
      insert into sample.resources values ('a_private', 'usr_a', 'private'), ('a_shared', 'usr_a', 'private'),
        ('a_org', 'usr_a', 'organisation'), ('platform', null, 'organisation'), ('b_private', 'usr_b', 'private');
      insert into sample.members values ('a_shared', 'usr_c', 'viewer');
    `);
  });
  afterAll(() => handle.close());

  async function readable(caller: Parameters<typeof readableBy>[0]): Promise<string[]> {
    const params: unknown[] = [];
    const where = readableBy(caller, tables, params);
    const { rows } = await db.query<{ id: string }>(`select r.id from sample.resources r where ${where} order by r.id`, params);
    return rows.map((row) => row.id);
  }

  it('shows a user what they own, what is shared with the organisation and what they are a member of', async () => {
    expect(await readable(person('usr_a'))).toEqual(['a_org', 'a_private', 'a_shared', 'platform']);
    expect(await readable(person('usr_b'))).toEqual(['a_org', 'b_private', 'platform']);
    expect(await readable(person('usr_c'))).toEqual(['a_org', 'a_shared', 'platform']);
  });

  it('shows managers, admins and the platform itself everything', async () => {
    const all = ['a_org', 'a_private', 'a_shared', 'b_private', 'platform'];
    expect(await readable(person('usr_m', 'manager'))).toEqual(all);
    expect(await readable(person('usr_x', 'admin'))).toEqual(all);
    expect(await readable(SYSTEM)).toEqual(all);
  });
});
