/**
 * Every service of the platform, in start order behind the gateway: one app, one Docker image and
 * one compose service each. Staging, its end-to-end suite and anything else that lists services read this.
 */
export const SERVICES = ['api-gateway', 'document-ingestion', 'data-structuring', 'model-training', 'agent-deployment', 'admin-dashboard'] as const;
export type ServiceName = (typeof SERVICES)[number];
