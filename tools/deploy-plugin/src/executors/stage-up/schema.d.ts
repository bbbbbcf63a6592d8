export type StageStep = 'migrate' | 'health' | 'seed' | 'smoke';

export interface StageUpExecutorSchema {
  env?: string;
  composeFile?: string;
  envFile?: string;
  nginxTemplate?: string;
  ttlHours?: number;
  port?: number;
  build?: 'all' | 'affected' | 'none';
  profiles?: string[];
  imagePrefix?: string;
  postgresImage?: string;
  nginxImage?: string;
  pullTimeoutMs?: number;
  buildLocalBaseImages?: boolean;
  waitTimeoutS?: number;
  seed?: boolean;
  smoke?: boolean;
  keepPrevious?: boolean;
  failAt?: StageStep;
  showCredentials?: boolean;
  registry?: string;
}
