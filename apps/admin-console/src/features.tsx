import { lazy, type ReactNode } from 'react';
import type { Role } from '@llmp/contracts';

// Each page is its own chunk, fetched when first opened: the first load carries only the login form and the shell.
const KnowledgeBasesPage = lazy(() => import('./knowledge-bases/knowledge-bases-page').then((m) => ({ default: m.KnowledgeBasesPage })));
const KnowledgeBasePage = lazy(() => import('./knowledge-bases/knowledge-base-page').then((m) => ({ default: m.KnowledgeBasePage })));
const SearchPage = lazy(() => import('./search/search-page').then((m) => ({ default: m.SearchPage })));
const AgentsPage = lazy(() => import('./agents/agents-page').then((m) => ({ default: m.AgentsPage })));
const AgentPage = lazy(() => import('./agents/agent-page').then((m) => ({ default: m.AgentPage })));
const UsagePage = lazy(() => import('./usage/usage-page').then((m) => ({ default: m.UsagePage })));
const UsersPage = lazy(() => import('./users/users-page').then((m) => ({ default: m.UsersPage })));
const DatasetsPage = lazy(() => import('./datasets/datasets-page').then((m) => ({ default: m.DatasetsPage })));
const DatasetPage = lazy(() => import('./datasets/dataset-page').then((m) => ({ default: m.DatasetPage })));
const VersionPage = lazy(() => import('./datasets/version-page').then((m) => ({ default: m.VersionPage })));
const JobsPage = lazy(() => import('./training/jobs-page').then((m) => ({ default: m.JobsPage })));
const JobPage = lazy(() => import('./training/job-page').then((m) => ({ default: m.JobPage })));
const ModelsPage = lazy(() => import('./models/models-page').then((m) => ({ default: m.ModelsPage })));
const ModelPage = lazy(() => import('./models/model-page').then((m) => ({ default: m.ModelPage })));
const HealthPage = lazy(() => import('./health/health-page').then((m) => ({ default: m.HealthPage })));

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
  { path: '/datasets', label: 'Datasets', role: 'user', element: <DatasetsPage /> },
  { path: '/datasets/:id', role: 'user', element: <DatasetPage /> },
  { path: '/datasets/versions/:versionId', role: 'user', element: <VersionPage /> },
  { path: '/training', label: 'Training', role: 'user', element: <JobsPage /> },
  { path: '/training/jobs/:id', role: 'user', element: <JobPage /> },
  { path: '/models', label: 'Models', role: 'user', element: <ModelsPage /> },
  { path: '/models/:id', role: 'user', element: <ModelPage /> },
  { path: '/agents', label: 'Agents', role: 'user', element: <AgentsPage /> },
  { path: '/agents/:id', role: 'user', element: <AgentPage /> },
  { path: '/usage', label: 'Usage', role: 'user', element: <UsagePage /> },
  { path: '/users', label: 'Users', role: 'admin', element: <UsersPage /> },
  { path: '/health', label: 'Health', role: 'public', element: <HealthPage /> },
];

export const HOME = '/knowledge-bases';
