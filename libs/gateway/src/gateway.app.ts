import { AGENT_KEY_PREFIX, type Identity } from '@llmp/contracts';
import { request } from 'undici';
import type { AuthService } from '@llmp/auth';
import type { Logger } from '@llmp/core';
import type { Db } from '@llmp/db';
import { buildOpenApi, createHttpApp, type CallerRequest, mergeOpenApi, route, UnauthorizedError, type HealthCheck, type HttpApp, type OpenApiDocument } from '@llmp/http';
import { dbHealthCheck } from '@llmp/service';
import { authRoutes } from './auth/auth.routes';
import { createServiceProxy, type Upstream } from './proxy/service-proxy';
import { upstreamHealthCheck } from './proxy/upstream-health';
import { usersRoutes } from './users/users.routes';

export interface ServiceUrls {
  ingestion: string;
  structuring: string;
  training: string;
  agents: string;
  dashboard: string;
}

export interface GatewayAppDeps {
  db: Db;
  log: Logger;
  auth: AuthService;
  services: ServiceUrls;
  internalSecret: string;
  version?: string;
  isReady?: () => boolean;
  proxyTimeoutMs?: number;
}

export function upstreamsOf(services: ServiceUrls): Upstream[] {
  return [
    { name: 'document-ingestion', prefixes: ['/api/ingestion'], url: services.ingestion },
    { name: 'data-structuring', prefixes: ['/api/datasets'], url: services.structuring },
    // OpenAI's fine-tuning API is training's; the longest prefix wins over agents' `/v1`.
    { name: 'model-training', prefixes: ['/api/training', '/v1/fine_tuning'], url: services.training },
    { name: 'agent-deployment', prefixes: ['/api/agents', '/v1'], url: services.agents },
  ];
}

function bearerOf(req: CallerRequest): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedError({ code: 'invalid_authorization', message: 'Authorization must be "Bearer <token or API key>"' });
    return match[1];
  }
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}

/** The OpenAI-compatible API, whose callers hold agent keys rather than platform credentials. */
const AGENT_API = '/v1';

/**
 * Who the gateway vouches for when it passes an agent key on: only that the
 * request came through it. The agent-deployment service checks the key itself.
 */
export const AGENT_KEY_CALLER: Identity = { userId: 'svc_api-gateway', username: 'agent-key', role: 'user', via: 'service', service: 'api-gateway' };

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/**
 * The agent key of a call that goes to agent-deployment's `/v1`, which the
 * gateway forwards instead of resolving it to a user. A `/v1` path another
 * service owns by a longer prefix never gets the key nor this caller.
 */
export function agentKeyReader(upstreams: Upstream[]): (req: CallerRequest) => string | undefined {
  const prefixes = upstreams.flatMap((u) => u.prefixes.map((prefix) => ({ prefix, name: u.name }))).sort((a, b) => b.prefix.length - a.prefix.length);
  return (req) => {
    if (!under(req.path, AGENT_API)) return undefined;
    if (prefixes.find(({ prefix }) => under(req.path, prefix))?.name !== 'agent-deployment') return undefined;
    const bearer = bearerOf(req);
    return bearer?.startsWith(`${AGENT_KEY_PREFIX}_`) ? bearer : undefined;
  };
}

async function fetchOpenApi(url: string): Promise<OpenApiDocument | null> {
  try {
    const res = await request(new URL('/openapi.json', url), { headersTimeout: 2000, bodyTimeout: 2000 });
    return res.statusCode === 200 ? ((await res.body.json()) as OpenApiDocument) : (await res.body.dump(), null);
  } catch {
    return null;
  }
}

/**
 * The only public entry: authenticates callers, serves auth and users
 * itself, streams every other `/api/<area>/…` to its service with a signed
 * identity, and hands everything else to the dashboard.
 */
export function createGatewayApp({ db, log, auth, services, internalSecret, version = '0.1.0', isReady, proxyTimeoutMs }: GatewayAppDeps): HttpApp {
  const upstreams = upstreamsOf(services);
  const agentKeyOf = agentKeyReader(upstreams);
  const proxy = createServiceProxy({ upstreams, internalSecret, log, headersTimeoutMs: proxyTimeoutMs, passBearer: agentKeyOf });
  const dashboard = createServiceProxy({
    upstreams: [{ name: 'admin-dashboard', prefixes: [''], url: services.dashboard }],
    internalSecret,
    log,
    headersTimeoutMs: proxyTimeoutMs,
  });
  const own = [...authRoutes(auth), ...usersRoutes(auth)];
  const openapi = route({
    method: 'get',
    path: '/api/openapi.json',
    tag: 'meta',
    summary: 'The OpenAPI document of the whole public API',
    access: 'public',
    handle: async () => {
      const docs = await Promise.all(upstreams.map((u) => fetchOpenApi(u.url)));
      const gatewayDoc = buildOpenApi({ title: 'llmp', version, routes: own });
      return mergeOpenApi('llmp API', version, [gatewayDoc, ...docs.filter((d): d is OpenApiDocument => d !== null)]);
    },
  });

  const health: Record<string, HealthCheck> = { database: dbHealthCheck(db) };
  for (const u of upstreams) health[u.name] = upstreamHealthCheck(u.url);
  health['admin-dashboard'] = upstreamHealthCheck(services.dashboard);

  const app = createHttpApp({
    service: 'api-gateway',
    version,
    log,
    routes: [...own, openapi],
    authenticate: (req) => (agentKeyOf(req) ? AGENT_KEY_CALLER : auth.authenticate(bearerOf(req))),
    health,
    isReady,
    // Proxied calls skip Express's router: the gateway's cost per call is most of what it adds to every call.
    passThrough: proxy,
    afterRoutes: (a) =>
      a.use((req, res, next) => (req.path.startsWith('/api/') ? next() : dashboard.handler(req, res, next))),
  });
  app.locals.close = async () => {
    await Promise.all([proxy.close(), dashboard.close()]);
  };
  return app;
}
