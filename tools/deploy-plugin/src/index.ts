import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CreateNodes, TargetConfiguration } from '@nx/devkit';
import { dockerfileName } from './process/dockerfile-name';

export interface DeployPluginOptions {
  /** Name of the inferred target (default docker-build). */
  targetName?: string;
  /** Where the service Dockerfiles live (default deploy/docker). */
  dockerDir?: string;
}

/** The inferred docker-build target of one app (pure). */
export function dockerBuildTarget(service: string, dockerDir: string): TargetConfiguration {
  return {
    executor: '@llmp/deploy-plugin:docker-build',
    dependsOn: ['build'],
    // Never cached: Nx would replay "built" without an image existing (another engine, a pruned
    // one). The executor itself skips the build when an image with the same content exists.
    cache: false,
    options: { service },
    metadata: {
      description: `Build the ${service} image from ${dockerDir}/${dockerfileName(service)} (tag llmp/${service}:<git sha>)`,
      technologies: ['docker'],
    },
  };
}

/**
 * Every app with a Dockerfile in deploy/docker gets a docker-build target, so that
 * `nx run-many -t docker-build` builds every image and `nx affected -t docker-build` the changed ones.
 */
export const createNodes: CreateNodes<DeployPluginOptions> = [
  'apps/*/package.json',
  (files, options, context) => {
    const targetName = options?.targetName ?? 'docker-build';
    const dockerDir = options?.dockerDir ?? 'deploy/docker';
    return files.flatMap((file) => {
      const projectRoot = dirname(file);
      const service = basename(projectRoot);
      if (!existsSync(join(context.workspaceRoot, dockerDir, dockerfileName(service)))) return [];
      return [[file, { projects: { [projectRoot]: { targets: { [targetName]: dockerBuildTarget(service, dockerDir) } } } }] as const];
    });
  },
];

export const createNodesV2 = createNodes;
