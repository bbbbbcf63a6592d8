import type { Request, Response } from 'express';
import type { z } from 'zod';
import { roleSatisfies, type Identity, type Role } from '@llmp/contracts';
import { ForbiddenError, UnauthorizedError } from './errors';
import { parse, refuseNulBytes } from './validate';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** `public` routes need no identity; otherwise the lowest role that may call it. */
export type Access = 'public' | Role;

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  identity: Identity | null;
  req: Request;
  res: Response;
}

export interface RouteSpec<B = unknown, Q = unknown> {
  method: HttpMethod;
  /** Express path, e.g. `/api/users/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** Status of a successful JSON answer (default 200). */
  status?: number;
  /**
   * Returns the JSON body, or `undefined` after writing the response itself
   * (streams, redirects, 204s).
   */
  handle(input: RouteInput<B, Q>): unknown | Promise<unknown>;
}

/** Keeps the body/query generics of one route spec tied to its handler. */
export function route<B = undefined, Q = undefined>(spec: RouteSpec<B, Q>): RouteSpec {
  return spec as unknown as RouteSpec;
}

export function identityOf(req: Request): Identity | null {
  return (req as Request & { identity?: Identity | null }).identity ?? null;
}

export function authorize(access: Access, identity: Identity | null): void {
  if (access === 'public') return;
  if (!identity) {
    throw new UnauthorizedError('authentication required: send "Authorization: Bearer <token>" or an API key');
  }
  if (!roleSatisfies(identity.role, access)) {
    throw new ForbiddenError(`this action needs the "${access}" role; you have "${identity.role}"`);
  }
}

export function toExpressHandler(spec: RouteSpec) {
  return async (req: Request, res: Response) => {
    const identity = identityOf(req);
    authorize(spec.access, identity);
    // Path ids and query strings reach SQL even on routes that declare no schema for them.
    refuseNulBytes(req.params, 'params');
    if (!spec.query) refuseNulBytes(req.query, 'query');
    const body = spec.body ? parse(spec.body, req.body ?? {}, 'body') : undefined;
    const query = spec.query ? parse(spec.query, req.query, 'query') : undefined;
    const result = await spec.handle({ body, query, params: req.params as Record<string, string>, identity, req, res });
    if (result !== undefined && !res.headersSent) res.status(spec.status ?? 200).json(result);
  };
}
