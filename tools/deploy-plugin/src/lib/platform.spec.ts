import { healthRows } from './platform';

describe('healthRows', () => {
  it('flattens the gateway health into rows, nested checks as service/check', () => {
    const body = {
      status: 'degraded',
      service: 'api-gateway',
      checks: {
        database: { status: 'up', latencyMs: 2 },
        'document-ingestion': { status: 'down', latencyMs: 2000, error: 'no answer within 2000 ms', checks: { database: { status: 'down', latencyMs: 1 } } },
      },
    };
    expect(healthRows(body, 503)).toEqual([
      { component: 'api-gateway', status: 'down', detail: 'HTTP 503' },
      { component: 'database', status: 'up', latencyMs: 2 },
      { component: 'document-ingestion', status: 'down', latencyMs: 2000, detail: 'no answer within 2000 ms' },
      { component: 'document-ingestion/database', status: 'down', latencyMs: 1 },
    ]);
  });

  it('reports a plain-text nginx answer (no release yet, expired) as the gateway being down', () => {
    expect(healthRows('no release of pr-1 is serving yet\n', 503)).toEqual([{ component: 'api-gateway', status: 'down', detail: 'HTTP 503: no release of pr-1 is serving yet' }]);
  });
});
