import { join } from 'node:path';

export interface EnvPaths {
  stateDir: string;
  stateFile: string;
  credentialsFile: string;
  nginxDir: string;
  artifactsDir: string;
  logFile: string;
  summaryJson: string;
  summaryMd: string;
}

/** State and secrets under .llmp/stage/<env> (git-ignored); artifacts under dist/deploy/<env> (pure). */
export function envPaths(root: string, env: string): EnvPaths {
  const stateDir = join(root, '.llmp', 'stage', env);
  const artifactsDir = join(root, 'dist', 'deploy', env);
  return {
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    credentialsFile: join(stateDir, 'credentials.json'),
    nginxDir: join(stateDir, 'nginx'),
    artifactsDir,
    logFile: join(artifactsDir, 'deployment.log'),
    summaryJson: join(artifactsDir, 'summary.json'),
    summaryMd: join(artifactsDir, 'summary.md'),
  };
}
