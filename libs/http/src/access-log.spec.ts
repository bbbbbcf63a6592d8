import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger } from '@llmp/core';
import { accessLog } from './access-log';

function appLogging(level: 'info' | 'warn') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const app = express();
  app.use(accessLog({ log: createLogger({ name: 'test', level, destination }), ignore: (req) => req.url === '/healthz' }));
  app.get('/ok', (_req, res) => res.json({ ok: true }));
  app.get('/healthz', (_req, res) => res.json({ ok: true }));
  app.get('/missing', (_req, res) => res.status(404).json({ error: 'none' }));
  app.get('/broken', (_req, res) => res.status(500).json({ error: 'broken' }));
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  return { app, lines, settled };
}

describe('access log', () => {
  it('echoes a well-formed x-request-id and replaces a malformed one with a UUID', async () => {
    const { app } = appLogging('info');
    expect((await request(app).get('/ok').set('x-request-id', 'trace-1.2:3')).headers['x-request-id']).toBe('trace-1.2:3');
    for (const bad of ['has space', 'a'.repeat(129), '%00', '../../etc', 'id;drop']) {
      const res = await request(app).get('/ok').set('x-request-id', bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('logs one line per request at the level its status calls for, with the id, method, url and status only', async () => {
    const { app, lines, settled } = appLogging('info');
    await request(app).get('/ok?x=1').set('x-request-id', 'r1').set('authorization', 'Bearer secret-token');
    await request(app).get('/missing').set('x-request-id', 'r2');
    await request(app).get('/broken').set('x-request-id', 'r3');
    await request(app).get('/healthz');
    await settled();
    expect(lines.map((l) => [l['level'], l['msg'], (l['req'] as { id: string }).id, (l['res'] as { statusCode: number }).statusCode])).toEqual([
      [30, 'request completed', 'r1', 200],
      [40, 'request completed', 'r2', 404],
      [50, 'request errored', 'r3', 500],
    ]);
    expect(lines[0]['req']).toEqual({ id: 'r1', method: 'GET', url: '/ok?x=1' });
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it('writes nothing for successful requests when the service logs at warn', async () => {
    const { app, lines, settled } = appLogging('warn');
    await request(app).get('/ok');
    await request(app).get('/missing').set('x-request-id', 'r9');
    await settled();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, req: { id: 'r9' }, res: { statusCode: 404 } });
  });
});
