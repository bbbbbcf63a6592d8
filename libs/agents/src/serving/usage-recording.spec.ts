import type { Db } from '@llmp/db';
import { aUser, startAgentsHarness, type AgentsHarness } from '../testing/agents-harness';
import { seaKnowledge as knowledge } from '../testing/sea-knowledge';


/** The database, with every usage row's insert held until `release` is called. */
function holdingUsageWrites(db: Db) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held: Db = {
    ...db,
    kind: db.kind,
    query: async (sql, params) => {
      if (/^\s*insert into agents\.usage/i.test(sql)) await released;
      return db.query(sql, params);
    },
  };
  return { held, release };
}

describe('usage of an answer', () => {
  let h: AgentsHarness;
  let release: () => void;
  const alice = aUser('usr_alice');

  beforeAll(async () => {
    h = await startAgentsHarness({
      knowledge,
      wrapDb: (db) => {
        const holding = holdingUsageWrites(db);
        release = holding.release;
        return holding.held;
      },
    });
  });
  afterAll(() => h.close());

  it('is stored after the stream has ended, without the stream waiting for it, and close waits for it', async () => {
    const agent = (await h.as(alice).post('/api/agents').send({ name: 'tides', config: { knowledgeBaseIds: ['kb_sea'], systemPrompt: 'v1' } }).expect(201)).body;
    await h.as(alice).post(`/api/agents/${agent.id}/publish`).expect(201);
    const key = (await h.as(alice).post(`/api/agents/${agent.id}/keys`).send({ name: 'k' }).expect(201)).body.key;

    const res = await h
      .withKey(key)
      .post('/v1/chat/completions')
      .send({ model: 'tides', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'When are spring tides?' }] })
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.on('data', (chunk: Buffer) => (text += chunk.toString()));
        r.on('end', () => done(null, text));
      })
      .expect(200);
    // The whole answer, its usage event and [DONE] arrived while the usage row was still held back.
    const body = res.body as string;
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(body).toContain('"usage":{"prompt_tokens":');
    const stored = () => h.db.query<{ status: string; stream: boolean }>('select status, stream from agents.usage where agent_id = $1', [agent.id]);
    expect((await stored()).rows).toEqual([]);

    release();
    await h.agents.serving.flush();
    expect((await stored()).rows).toEqual([{ status: 'ok', stream: true }]);
  });
});
