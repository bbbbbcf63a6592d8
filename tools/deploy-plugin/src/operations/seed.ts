import type { Credentials } from '../environment/credentials';
import type { EdgeTarget } from './edge-http';
import { deadlineIn, edgeCall, login, type Deadline } from './staged-api';

export const DEMO_USERS = [
  { username: 'admin', role: 'admin' },
  { username: 'manager', role: 'manager' },
  { username: 'user', role: 'user' },
] as const;

export type DemoUser = (typeof DEMO_USERS)[number]['username'];

/** What to do when the admin cannot log in (pure): the password is fixed once the database exists. */
export function adminLoginHint(status: number | undefined): string {
  if (status === 401) {
    return [
      '→ the admin password is set once, when the database is initialised (from LLMP_SEED_ADMIN_PASSWORD, else generated), and is kept with the environment:',
      '  npx nx run deploy:status --showCredentials shows it. Changing LLMP_SEED_ADMIN_PASSWORD later has no effect on an existing database;',
      '  if the database holds another admin password, remove the environment (npx nx run deploy:teardown) and stage again.',
    ].join('\n');
  }
  return '→ the gateway did not answer the login in time: npx nx run deploy:logs --services=api-gateway shows why';
}

export interface SeedResult {
  created: string[];
  unchanged: string[];
}

/**
 * Demo data through the public API (behind nginx): the bootstrap admin logs in, creates the
 * manager and user accounts, loads the demo knowledge base, builds the demo dataset from it and
 * publishes the demo agent over it. Idempotent: an existing username (409) and demo parts already
 * there (200) are left as they are.
 */
export async function seed(
  target: EdgeTarget,
  credentials: Credentials,
  { adminPassword = credentials.users.admin, deadlineMs = 90_000, attemptTimeoutMs }: { adminPassword?: string; deadlineMs?: number; attemptTimeoutMs?: number } = {},
): Promise<SeedResult> {
  const deadline = deadlineIn(deadlineMs);
  let token: string;
  try {
    token = await login(target, 'admin', adminPassword, deadline, attemptTimeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${adminLoginHint((error as { status?: number }).status)}`);
  }
  const result: SeedResult = { created: [], unchanged: ['admin'] };
  for (const { username, role } of DEMO_USERS) {
    if (username === 'admin') continue;
    const res = await edgeCall(target, { method: 'POST', path: '/api/users', token, body: { username, password: credentials.users[username], role } }, deadline);
    if (res.status === 201) result.created.push(username);
    else if (res.status === 409) result.unchanged.push(username);
    else throw new Error(`POST /api/users (${username}) answered ${res.status}: ${res.text.slice(0, 300)}`);
  }
  const demo = await demoCall(target, token, '/api/ingestion/demo', DEMO_KNOWLEDGE_BASE, result, deadline);
  const knowledgeBaseId = (demo as { knowledgeBase?: { id?: string } }).knowledgeBase?.id;
  if (!knowledgeBaseId) throw new Error('POST /api/ingestion/demo answered without the knowledge base');
  // The dataset builds from the knowledge base on the job queue and freezes its first version when done.
  await demoCall(target, token, '/api/datasets/demo', DEMO_DATASET, result, deadline);
  await demoCall(target, token, '/api/agents/demo', DEMO_AGENT, result, deadline, { knowledgeBaseId });
  return result;
}

/** One idempotent demo loader: 201 when it created its part, 200 when it was already there. */
async function demoCall(
  target: EdgeTarget,
  token: string,
  path: string,
  name: string,
  result: SeedResult,
  deadline: Deadline,
  body?: unknown,
): Promise<unknown> {
  const res = await edgeCall(target, { method: 'POST', path, token, ...(body === undefined ? {} : { body }) }, deadline);
  if (res.status === 201) result.created.push(name);
  else if (res.status === 200) result.unchanged.push(name);
  else throw new Error(`POST ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return res.body;
}

export const DEMO_KNOWLEDGE_BASE = 'demo knowledge base';
export const DEMO_DATASET = 'demo dataset';
export const DEMO_AGENT = 'demo agent';
