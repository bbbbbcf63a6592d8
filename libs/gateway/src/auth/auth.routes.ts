import type { AuthService } from '@llmp/auth';
import { createApiKeyBody, loginBody } from '@llmp/contracts';
import { route, type RouteSpec } from '@llmp/http';

export function authRoutes(auth: AuthService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/auth/login',
      tag: 'auth',
      summary: 'Exchange a username and password for a bearer token; repeated failures are answered 429 with Retry-After',
      access: 'public',
      body: loginBody,
      handle: ({ body, req }) => auth.login(body.username, body.password, { client: req.ip }),
    }),
    route({
      method: 'post',
      path: '/api/auth/logout',
      tag: 'auth',
      summary: 'End the current session',
      access: 'user',
      handle: async ({ req, res }) => {
        const token = req.headers.authorization?.replace(/^Bearer\s+/i, '');
        if (token) await auth.logout(token);
        res.status(204).end();
      },
    }),
    route({
      method: 'get',
      path: '/api/auth/me',
      tag: 'auth',
      summary: 'Who the current credentials belong to',
      access: 'user',
      handle: async ({ identity }) => ({ ...(await auth.getUser(identity!.userId)), via: identity!.via }),
    }),
    route({
      method: 'get',
      path: '/api/auth/api-keys',
      tag: 'auth',
      summary: "List the caller's API keys (never their secrets)",
      access: 'user',
      handle: async ({ identity }) => ({ data: await auth.listApiKeys(identity!.userId) }),
    }),
    route({
      method: 'post',
      path: '/api/auth/api-keys',
      tag: 'auth',
      summary: 'Create an API key; its secret is shown in this answer only',
      access: 'user',
      status: 201,
      body: createApiKeyBody,
      handle: async ({ identity, body }) => {
        const { key, secret } = await auth.createApiKey(identity!.userId, body);
        return { ...key, secret };
      },
    }),
    route({
      method: 'delete',
      path: '/api/auth/api-keys/:id',
      tag: 'auth',
      summary: 'Revoke one of your API keys',
      access: 'user',
      handle: async ({ identity, params, res }) => {
        await auth.revokeApiKey(identity!.userId, params.id);
        res.status(204).end();
      },
    }),
  ];
}
