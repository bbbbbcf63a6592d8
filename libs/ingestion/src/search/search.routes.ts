import { route, type RouteSpec } from '@llmp/http';
import { searchBody } from '@llmp/contracts';
import type { SearchService } from './search.service';

export function searchRoutes(search: SearchService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/ingestion/search',
      tag: 'ingestion',
      summary: 'Search knowledge bases: hybrid (vector + full text, fused by normalised score or by reciprocal rank), or either half alone; hits carry citations',
      access: 'user',
      body: searchBody,
      handle: ({ body, identity }) => search.search(body, identity!),
    }),
  ];
}
