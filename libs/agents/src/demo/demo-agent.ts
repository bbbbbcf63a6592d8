import { SYSTEM, type Agent } from '@llmp/contracts';
import type { Logger } from '@llmp/core';
import type { AgentsService } from '../agents/agents.service';

export const DEMO_AGENT = 'demo';

/**
 * Publishes the "demo" agent over the demo knowledge base with the
 * extractive provider, so a first run answers with citations at once. The
 * platform owns it and every user sees it; nothing happens when it exists.
 */
export async function loadDemoAgent({ agents, knowledgeBaseId, log }: { agents: AgentsService; knowledgeBaseId: string; log: Logger }): Promise<{ agent: Agent; created: boolean }> {
  const existing = (await agents.list(SYSTEM)).find((a) => a.name === DEMO_AGENT);
  if (existing) return { agent: existing, created: false };
  const agent = await agents.create(
    {
      name: DEMO_AGENT,
      description: 'Answers questions about llmp from the demo knowledge base by quoting it, with citations',
      visibility: 'organisation',
      config: {
        provider: { kind: 'extractive' },
        systemPrompt: 'You answer questions about the llmp platform from its documentation.',
        knowledgeBaseIds: [knowledgeBaseId],
        retrieval: { topK: 4, maxContextTokens: 1500 },
        generation: { temperature: 0.2, topP: 1, maxTokens: 512 },
      },
    },
    SYSTEM,
  );
  await agents.publish(agent.id, SYSTEM);
  log.info({ agentId: agent.id }, 'demo agent published');
  return { agent: (await agents.get(agent.id, SYSTEM))!, created: true };
}
