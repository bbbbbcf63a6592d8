export * from './agents.app';
export * from './migrations';
export type { AgentsService, CreatedAgentKey } from './agents/agents.service';
export type { ServingService } from './serving/serving.service';
export { EXTRACTIVE_LABEL } from './serving/providers/extractive.provider';
export * from './agents.config';
export * from './demo/demo-agent';
export type { SlotOptions } from './serving/slots';
