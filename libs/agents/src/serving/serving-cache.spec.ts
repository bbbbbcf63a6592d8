import type { AgentKey } from '@llmp/contracts';
import { sleep } from '@llmp/core';
import type { Db } from '@llmp/db';
import type { ServedAgent } from '../agents/agent.store';
import { aUser, startAgentsHarness, type AgentsHarness } from '../testing/agents-harness';
import { seaKnowledge as knowledge } from '../testing/sea-knowledge';
import { createServingCache } from './serving-cache';

const aKey = { id: 'agk_1', agentId: 'agent_1' } as AgentKey;
const aVersion = { agent: { id: 'agent_1' }, version: { number: 1 } } as ServedAgent;

describe('the serving cache', () => {
  it('keeps nothing until enabled, and forgets everything when disabled', () => {
    const cache = createServingCache();
    cache.keepKey('h1', aKey, cache.stamp());
    expect(cache.key('h1')).toBeUndefined();
    cache.enable();
    cache.keepKey('h1', aKey, cache.stamp());
    cache.keepServed('tides', aVersion, cache.stamp());
    expect([cache.key('h1'), cache.served('tides')]).toEqual([aKey, aVersion]);
    cache.disable();
    expect([cache.key('h1'), cache.served('tides')]).toEqual([undefined, undefined]);
    cache.enable();
    expect(cache.key('h1')).toBeUndefined();
  });

  it('does not keep what was looked up across a change, or across being enabled', () => {
    const cache = createServingCache();
    const beforeEnabled = cache.stamp();
    cache.enable();
    cache.keepKey('h1', aKey, beforeEnabled);
    expect(cache.key('h1')).toBeUndefined();
    const stamp = cache.stamp();
    cache.changed();
    cache.keepKey('h1', aKey, stamp);
    cache.keepServed('tides', aVersion, stamp);
    expect([cache.key('h1'), cache.served('tides')]).toEqual([undefined, undefined]);
  });

  it('lets entries expire, and holds at most maxEntries, the least recently used going first', () => {
    let now = 0;
    const cache = createServingCache({ ttlMs: 100, maxEntries: 2, now: () => now });
    cache.enable();
    for (const hash of ['a', 'b']) cache.keepKey(hash, aKey, cache.stamp());
    expect(cache.key('a')).toBe(aKey);
    cache.keepKey('c', aKey, cache.stamp());
    expect([cache.key('a'), cache.key('b'), cache.key('c')]).toEqual([aKey, undefined, aKey]);
    now = 100;
    expect(cache.key('a')).toBeUndefined();
  });
});


/** The database, counting the statements that look a key or an agent version up. */
function countingLookups(db: Db) {
  const counted = { lookups: 0 };
  const wrapped: Db = {
    ...db,
    kind: db.kind,
    query: (sql, params) => {
      if (/from agents\.keys k join agents\.agents a|left join agents\.versions v on v\.agent_id/.test(sql)) counted.lookups++;
      return db.query(sql, params);
    },
  };
  return { wrapped, counted };
}

async function until(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

describe('two replicas of agent-deployment on one database', () => {
  let a: AgentsHarness;
  let b: AgentsHarness;
  let countedA: { lookups: number };
  const alice = aUser('usr_alice');
  const ask = (h: AgentsHarness, key: string, model = 'tides') =>
    h.withKey(key).post('/v1/chat/completions').send({ model, messages: [{ role: 'user', content: 'When are spring tides?' }] });

  beforeAll(async () => {
    a = await startAgentsHarness({
      knowledge,
      wrapDb: (db) => {
        const counting = countingLookups(db);
        countedA = counting.counted;
        return counting.wrapped;
      },
    });
    b = await startAgentsHarness({ knowledge, shared: a.db });
    await until(async () => a.agents.cache.enabled && b.agents.cache.enabled, 5000);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('look a key and its agent version up once, and hear at once of a rollback and of a revoked key', async () => {
    const agent = (await a.as(alice).post('/api/agents').send({ name: 'tides', config: { knowledgeBaseIds: ['kb_sea'], systemPrompt: 'v1' } }).expect(201)).body;
    await a.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    const key = (await a.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key as string;

    expect((await ask(a, key).expect(200)).body.model).toBe('tides@1');
    const afterFirst = countedA.lookups;
    for (let i = 0; i < 3; i++) expect((await ask(a, key).expect(200)).body.model).toBe('tides@1');
    expect(countedA.lookups).toBe(afterFirst);
    expect((await ask(b, key).expect(200)).body.model).toBe('tides@1');

    // Version 2, then back to 1: the replica that made the change answers from the new version at once, the other within a second.
    await a.as(alice).patch(`/api/agents/${agent.id}`).send({ config: { systemPrompt: 'v2' } }).expect(200);
    await a.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    expect((await ask(a, key).expect(200)).body.model).toBe('tides@2');
    await until(async () => (await ask(b, key).expect(200)).body.model === 'tides@2', 1000);
    await a.as(alice).post(`/api/agents/${agent.id}/rollback`).send({ version: 1 }).expect(200);
    expect((await ask(a, key).expect(200)).body.model).toBe('tides@1');
    await until(async () => (await ask(b, key).expect(200)).body.model === 'tides@1', 1000);

    // A revoked key: refused by this replica at once and by the other within a second.
    const keyId = (await a.as(alice).get(`/api/agents/${agent.id}/keys`).expect(200)).body.data[0].id;
    await a.as(alice).delete(`/api/agents/${agent.id}/keys/${keyId}`).expect(200);
    await ask(a, key).expect(401);
    const heardInMs = await until(async () => (await ask(b, key)).status === 401, 1000);
    expect(heardInMs).toBeLessThan(1000);
  });

  it('keeps nothing while it cannot hear changes', async () => {
    const agent = (await a.as(alice).post('/api/agents').send({ name: 'deaf', config: { knowledgeBaseIds: ['kb_sea'] } }).expect(201)).body;
    await a.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    const key = (await a.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key as string;
    a.agents.cache.disable();
    try {
      const before = countedA.lookups;
      await ask(a, key, 'deaf').expect(200);
      await ask(a, key, 'deaf').expect(200);
      expect(countedA.lookups - before).toBe(4);
    } finally {
      a.agents.cache.enable();
    }
  });
});
