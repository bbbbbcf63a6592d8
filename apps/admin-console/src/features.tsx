import type { ReactNode } from 'react';
import type { Role } from '@llmp/contracts';
import { HealthPage } from './health/health-page';
import { KnowledgeBasePage } from './knowledge-bases/knowledge-base-page';
import { KnowledgeBasesPage } from './knowledge-bases/knowledge-bases-page';
import { SearchPage } from './search/search-page';
import { UsersPage } from './users/users-page';

/**
 * Every page of the console: one entry here and one folder beside this file. A service's pages
 * join when its API has landed, so the console never offers what the platform cannot do.
 */
export interface Feature {
  path: string;
  /** Its label in the navigation; pages reached from another one (a knowledge base) have none. */
  label?: string;
  /** The lowest role that may open it, as the API's routes declare; `public` needs no session. */
  role: Role | 'public';
  element: ReactNode;
}

export const FEATURES: Feature[] = [
  { path: '/knowledge-bases', label: 'Knowledge bases', role: 'user', element: <KnowledgeBasesPage /> },
  { path: '/knowledge-bases/:id', role: 'user', element: <KnowledgeBasePage /> },
  { path: '/search', label: 'Search', role: 'user', element: <SearchPage /> },
  { path: '/users', label: 'Users', role: 'admin', element: <UsersPage /> },
  { path: '/health', label: 'Health', role: 'public', element: <HealthPage /> },
];

export const HOME = '/knowledge-bases';
