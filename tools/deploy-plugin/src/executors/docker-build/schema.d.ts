export interface DockerBuildExecutorSchema {
  service?: string;
  imagePrefix?: string;
  dockerfile?: string;
  baseDockerfile?: string;
  bundleDir?: string;
  nodeImage?: string;
  pullTimeoutMs?: number;
  buildLocalBaseImages?: boolean;
  extraTags?: string[];
  force?: boolean;
  source?: string;
  caBundle?: string;
  registry?: string;
}
