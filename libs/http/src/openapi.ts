import { z } from 'zod';
import type { RouteSpec } from './routes';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components: { securitySchemes: Record<string, unknown> };
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
}

export function buildOpenApi({ title, version, routes }: { title: string; version: string; routes: RouteSpec[] }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const spec of routes) {
    const path = toOpenApiPath(spec.path);
    const params = [...spec.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    paths[path] ??= {};
    paths[path][spec.method] = {
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.access === 'public' ? { security: [] } : { 'x-llmp-min-role': spec.access }),
      ...(params.length ? { parameters: params } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } } } : {}),
      responses: {
        [String(spec.status ?? 200)]: { description: 'success' },
        ...(spec.access === 'public' ? {} : { '401': { description: 'not authenticated' }, '403': { description: 'role too low' } }),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title, version },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'token from POST /api/auth/login, or an API key' },
      },
    },
  };
}

export function mergeOpenApi(title: string, version: string, docs: OpenApiDocument[]): OpenApiDocument {
  const merged: OpenApiDocument = { openapi: '3.1.0', info: { title, version }, paths: {}, components: docs[0]?.components ?? { securitySchemes: {} } };
  for (const doc of docs) {
    for (const [path, ops] of Object.entries(doc.paths)) merged.paths[path] = { ...merged.paths[path], ...ops };
  }
  return { ...merged, security: [{ bearer: [] }] } as OpenApiDocument;
}
