import { loadConfig, type ConfigError } from '@llmp/config';
import { agentsEnv, agentsOptionsFrom } from './agents.config';

describe('agent-deployment configuration', () => {
  it('reads the ingestion URL, the models directory and the upstream, treating empty variables as unset', () => {
    const config = loadConfig(agentsEnv, { LLMP_INGESTION_URL: 'http://document-ingestion:3000', LLMP_AGENTS_UPSTREAM_URL: '', LLMP_AGENTS_UPSTREAM_API_KEY: '' });
    expect(agentsOptionsFrom(config)).toEqual({
      ingestionUrl: 'http://document-ingestion:3000',
      upstream: undefined,
      chatLimits: { maxContentChars: 200_000 },
      modelsDir: '.llmp/data/models',
      concurrency: { concurrency: 2, queueSize: 32, queueTimeoutMs: 30_000 },
      stream: { intervalMs: 15 },
    });
    const withUpstream = loadConfig(agentsEnv, { LLMP_INGESTION_URL: 'http://i:3000', LLMP_AGENTS_UPSTREAM_URL: 'http://ollama:11434/v1', LLMP_AGENTS_UPSTREAM_API_KEY: 'sk-1' });
    expect(agentsOptionsFrom(withUpstream).upstream).toEqual({ baseUrl: 'http://ollama:11434/v1', apiKey: 'sk-1', idleTimeoutMs: 30_000 });
  });

  it('names every bad variable at once', () => {
    let problems: string[] = [];
    try {
      loadConfig(agentsEnv, { LLMP_AGENTS_UPSTREAM_URL: 'not a url', LLMP_AGENTS_CONCURRENCY: '0', LLMP_AGENTS_STREAM_INTERVAL_MS: '-5' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['LLMP_AGENTS_CONCURRENCY', 'LLMP_AGENTS_STREAM_INTERVAL_MS', 'LLMP_AGENTS_UPSTREAM_URL', 'LLMP_INGESTION_URL']);
  });
});
