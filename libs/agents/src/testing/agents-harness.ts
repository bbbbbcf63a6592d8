import request from 'supertest';
import { startSigningForwarder, TEST_IDENTITY_HEADER, type SigningForwarder } from '@llmp/auth/testing';
import type { Identity } from '@llmp/contracts';
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { listen, type RunningServer } from '@llmp/http';
import { createAgents, type Agents, type AgentsAppDeps } from '../agents.app';
import { agentsMigrations } from '../migrations';

export const testLog = createLogger({ name: 'test', level: 'silent' });
const SECRET = 'a'.repeat(32);

export const aUser = (userId = 'usr_alice', role: Identity['role'] = 'user'): Identity => ({ userId, username: userId.slice(4), role, via: 'token' });
/** What the gateway signs when it passes an agent key on. */
export const AGENT_KEY_CALLER: Identity = { userId: 'svc_api-gateway', username: 'agent-key', role: 'user', via: 'service', service: 'api-gateway' };

export interface AgentsHarness {
  db: Db;
  agents: Agents;
  server: RunningServer;
  forwarder: SigningForwarder;
  /** A request as `identity`, signed as the gateway would. */
  as(identity: Identity): { get(path: string): request.Test; post(path: string): request.Test; patch(path: string): request.Test; delete(path: string): request.Test };
  /** A `/v1` request with an agent key, as the gateway passes it on. */
  withKey(key: string): { get(path: string): request.Test; post(path: string): request.Test };
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** What the service is given in place of the database (the same database, with statements held back or counted). */
  wrapDb?: (db: Db) => Db;
  /** A database another harness already runs on (a second replica of the service); left open by `close`. */
  shared?: Db;
}

/** The agent-deployment service alone over PGlite, behind a signing hop like the gateway's. */
export async function startAgentsHarness({ wrapDb = (db) => db, shared, ...options }: Partial<Omit<AgentsAppDeps, 'db' | 'log' | 'internalSecret'>> & HarnessOptions = {}): Promise<AgentsHarness> {
  const db = shared ?? (await createPgliteDb());
  if (!shared) await migrate(db, agentsMigrations);
  const agents = createAgents({ db: wrapDb(db), log: testLog, internalSecret: SECRET, ingestionUrl: 'http://127.0.0.1:9', ...options });
  const server = await listen(agents.app, { host: '127.0.0.1', port: 0 });
  const forwarder = await startSigningForwarder({ target: server.url, secret: SECRET });
  const signed = (identity: Identity) => {
    const header = JSON.stringify(identity);
    return {
      get: (path: string) => request(forwarder.url).get(path).set(TEST_IDENTITY_HEADER, header),
      post: (path: string) => request(forwarder.url).post(path).set(TEST_IDENTITY_HEADER, header),
      patch: (path: string) => request(forwarder.url).patch(path).set(TEST_IDENTITY_HEADER, header),
      delete: (path: string) => request(forwarder.url).delete(path).set(TEST_IDENTITY_HEADER, header),
    };
  };
  return {
    db,
    agents,
    server,
    forwarder,
    as: signed,
    withKey: (key) => {
      const caller = signed(AGENT_KEY_CALLER);
      return { get: (path) => caller.get(path).set('authorization', `Bearer ${key}`), post: (path) => caller.post(path).set('authorization', `Bearer ${key}`) };
    },
    async close() {
      await forwarder.close();
      await server.close(1000);
      await agents.app.locals.close?.();
      if (!shared) await db.close();
    },
  };
}
