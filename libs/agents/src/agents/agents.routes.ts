import { z } from 'zod';
import { createAgentBody, createAgentKeyBody, rollbackBody, updateDraftBody, usageQuery, versionRefSchema } from '@llmp/contracts';
import { parse, route, type RouteSpec } from '@llmp/http';
import type { Agent } from '@llmp/contracts';
import type { AgentsService } from './agents.service';

/** `3` in a path or query is a version number; anything else must be a version id. */
const versionRef = (value: string | undefined, where: string) =>
  parse(versionRefSchema, value !== undefined && /^\d+$/.test(value) ? Number(value) : value, where);

const demoBody = z.object({ knowledgeBaseId: z.string().regex(/^kb_[0-9a-z]{1,64}$/, 'must be the demo knowledge base id ("kb_…")') });

const diffQuery = z.object({ from: z.string({ message: 'is required: a version number or id' }), to: z.string({ message: 'is required: a version number or id' }) });

export function agentsRoutes(agents: AgentsService, loadDemo: (knowledgeBaseId: string) => Promise<{ agent: Agent; created: boolean }>): RouteSpec[] {
  const tag = 'agents';
  return [
    route({
      method: 'post',
      path: '/api/agents/demo',
      tag,
      summary: 'Publish the "demo" agent over the demo knowledge base (extractive answers with citations), once; the staging seed calls this',
      access: 'admin',
      body: demoBody,
      handle: async ({ body, res }) => {
        const result = await loadDemo(body.knowledgeBaseId);
        res.status(result.created ? 201 : 200).json(result);
      },
    }),
    route({
      method: 'get',
      path: '/api/agents/usage',
      tag,
      summary: 'Usage per UTC day, agent and key (requests, tokens, latency, time to first token) over the agents you may read',
      access: 'user',
      query: usageQuery,
      handle: async ({ query, identity }) => ({ data: await agents.usage(query, identity!) }),
    }),
    route({
      method: 'get',
      path: '/api/agents',
      tag,
      summary: 'List the agents you may read (managers: all), with the version each serves',
      access: 'user',
      handle: async ({ identity }) => ({ data: await agents.list(identity!) }),
    }),
    route({
      method: 'post',
      path: '/api/agents',
      tag,
      summary: 'Create an agent you own: a draft configuration (provider, system prompt, knowledge bases, retrieval and generation settings)',
      access: 'user',
      status: 201,
      body: createAgentBody,
      handle: ({ body, identity }) => agents.create(body, identity!),
    }),
    route({
      method: 'get',
      path: '/api/agents/:id',
      tag,
      summary: 'Get one agent with its draft and published version',
      access: 'user',
      handle: ({ params, identity }) => agents.get(params.id, identity!),
    }),
    route({
      method: 'patch',
      path: '/api/agents/:id',
      tag,
      summary: "Edit the agent's draft (config replaces the draft's whole configuration), description or visibility; traffic is unaffected until you publish",
      access: 'user',
      body: updateDraftBody,
      handle: ({ params, body, identity }) => agents.updateDraft(params.id, body, identity!),
    }),
    route({
      method: 'post',
      path: '/api/agents/:id/publish',
      tag,
      summary: 'Freeze the draft as a new immutable version and serve it',
      access: 'user',
      status: 201,
      handle: ({ params, identity }) => agents.publish(params.id, identity!),
    }),
    route({
      method: 'post',
      path: '/api/agents/:id/rollback',
      tag,
      summary: 'Serve an earlier version again (by number or id); the switch is atomic',
      access: 'user',
      body: rollbackBody,
      handle: ({ params, body, identity }) => agents.rollback(params.id, body.version, identity!),
    }),
    route({
      method: 'post',
      path: '/api/agents/:id/archive',
      tag,
      summary: 'Archive the agent: it is no longer served and its keys stop working',
      access: 'user',
      handle: ({ params, identity }) => agents.archive(params.id, identity!),
    }),
    route({
      method: 'get',
      path: '/api/agents/:id/versions',
      tag,
      summary: "List the agent's versions, oldest first",
      access: 'user',
      handle: async ({ params, identity }) => ({ data: await agents.versions(params.id, identity!) }),
    }),
    route({
      method: 'get',
      path: '/api/agents/:id/diff',
      tag,
      summary: 'Differences between two versions, field by field (?from=1&to=2, numbers or ids)',
      access: 'user',
      query: diffQuery,
      handle: ({ params, query, identity }) => agents.diff(params.id, versionRef(query.from, 'query.from'), versionRef(query.to, 'query.to'), identity!),
    }),
    route({
      method: 'get',
      path: '/api/agents/:id/versions/:version',
      tag,
      summary: 'Get one version by number or id',
      access: 'user',
      handle: ({ params, identity }) => agents.version(params.id, versionRef(params.version, 'params.version'), identity!),
    }),
    route({
      method: 'post',
      path: '/api/agents/:id/keys',
      tag,
      summary: 'Create an API key for this agent, with optional requests- and tokens-per-minute limits; the key is shown once',
      access: 'user',
      status: 201,
      body: createAgentKeyBody,
      handle: ({ params, body, identity }) => agents.createKey(params.id, body, identity!),
    }),
    route({
      method: 'get',
      path: '/api/agents/:id/keys',
      tag,
      summary: "List the agent's keys (never the keys themselves)",
      access: 'user',
      handle: async ({ params, identity }) => ({ data: await agents.listKeys(params.id, identity!) }),
    }),
    route({
      method: 'delete',
      path: '/api/agents/:id/keys/:keyId',
      tag,
      summary: 'Revoke a key; calls with it are refused from now on',
      access: 'user',
      handle: ({ params, identity }) => agents.revokeKey(params.id, params.keyId, identity!),
    }),
  ];
}
