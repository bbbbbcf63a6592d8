/**
 * Where agent-deployment replicas hear that what serves an answer changed:
 * a key revoked, a version published or rolled back to, an agent archived.
 * The payload is the agent's id. Sent inside the changing transaction, so
 * it arrives only if that commits.
 */
export const AGENTS_CHANGED_CHANNEL = 'llmp_agents_changed';

/** Told in this process once such a change has committed, before other replicas hear of it. */
export type OnServingChange = () => void;
