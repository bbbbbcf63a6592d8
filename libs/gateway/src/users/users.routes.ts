import type { AuthService } from '@llmp/auth';
import { createUserBody, resetPasswordBody, updateUserBody, userLookupQuery } from '@llmp/contracts';
import { route, type RouteSpec } from '@llmp/http';

export function usersRoutes(auth: AuthService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/api/users',
      tag: 'users',
      summary: 'List users',
      access: 'admin',
      handle: async () => ({ data: await auth.listUsers() }),
    }),
    route({
      method: 'get',
      path: '/api/users/lookup',
      tag: 'users',
      summary: 'Find enabled users by the start of their username (?username=al), to share a knowledge base or agent with them: ids and usernames only, at most 10',
      access: 'user',
      query: userLookupQuery,
      handle: async ({ query }) => ({ data: await auth.lookupUsers(query.username) }),
    }),
    route({
      method: 'post',
      path: '/api/users',
      tag: 'users',
      summary: 'Create a user with a role',
      access: 'admin',
      status: 201,
      body: createUserBody,
      handle: ({ body }) => auth.createUser(body),
    }),
    route({
      method: 'get',
      path: '/api/users/:id',
      tag: 'users',
      summary: 'Get one user',
      access: 'admin',
      handle: ({ params }) => auth.getUser(params.id),
    }),
    route({
      method: 'patch',
      path: '/api/users/:id',
      tag: 'users',
      summary: "Change a user's role or disable/enable them; disabling revokes their sessions and API keys for good",
      access: 'admin',
      body: updateUserBody,
      handle: ({ identity, params, body }) => auth.updateUser(identity!, params.id, body),
    }),
    route({
      method: 'post',
      path: '/api/users/:id/password',
      tag: 'users',
      summary: "Reset a user's password; their sessions end and their API keys are revoked unless keepApiKeys is true",
      access: 'admin',
      body: resetPasswordBody,
      handle: async ({ identity, params, body, res }) => {
        await auth.resetPassword(identity!, params.id, body.password, { keepApiKeys: body.keepApiKeys });
        res.status(204).end();
      },
    }),
  ];
}
