import { agentsEnv, agentsMigrations, agentsOptionsFrom, createAgentsApp } from '@llmp/agents';
import { main, runService } from '@llmp/service';

main(() =>
  runService({
    name: 'agent-deployment',
    defaultPort: 3004,
    env: agentsEnv,
    migrations: [agentsMigrations],
    createApp: ({ db, log, config, isReady }) =>
      createAgentsApp({ db, log, internalSecret: config.LLMP_INTERNAL_SECRET, isReady, ...agentsOptionsFrom(config) }),
  }),
);
