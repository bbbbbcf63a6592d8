import { healthRows } from './health';

describe('healthRows against the health contract', () => {
  it('reads a full health report of libs/contracts', () => {
    const body = { status: 'ok', service: 'api-gateway', version: '0.1.0', uptimeSeconds: 12, checks: { database: { status: 'up', latencyMs: 1 } } };
    expect(healthRows(body, 200)).toEqual([
      { component: 'api-gateway', status: 'up' },
      { component: 'database', status: 'up', latencyMs: 1 },
    ]);
  });

  it('reports a JSON answer that is not a health report as the gateway being down, saying so', () => {
    expect(healthRows({ hello: 'world', status: 'fine' }, 200)).toEqual([{ component: 'api-gateway', status: 'down', detail: 'the answer is not a health report' }]);
  });
});
