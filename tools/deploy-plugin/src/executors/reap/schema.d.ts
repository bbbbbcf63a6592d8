export interface ReapExecutorSchema {
  now?: string;
  dryRun?: boolean;
}
