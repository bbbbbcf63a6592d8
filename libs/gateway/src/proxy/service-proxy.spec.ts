import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger } from '@llmp/core';
import { errorHandler, listen, type RunningServer } from '@llmp/http';
import { createServiceProxy } from './service-proxy';

const log = createLogger({ name: 'test', level: 'silent' });

/** A service whose every answer the test writes by hand. */
async function aService() {
  const requests: { req: IncomingMessage; res: ServerResponse }[] = [];
  const waiting: ((exchange: { req: IncomingMessage; res: ServerResponse }) => void)[] = [];
  const server = createServer((req, res) => {
    const exchange = { req, res };
    const next = waiting.shift();
    if (next) next(exchange);
    else requests.push(exchange);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    nextRequest: () => new Promise<{ req: IncomingMessage; res: ServerResponse }>((resolve) => {
      const queued = requests.shift();
      if (queued) resolve(queued);
      else waiting.push(resolve);
    }),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function nextChunk(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => res.once('data', (chunk: Buffer) => resolve(chunk.toString())));
}

describe('service proxy', () => {
  let service: Awaited<ReturnType<typeof aService>>;
  let gateway: RunningServer;
  let proxy: ReturnType<typeof createServiceProxy>;

  beforeAll(async () => {
    service = await aService();
    proxy = createServiceProxy({ upstreams: [{ name: 'fake', prefixes: ['/api/fake'], url: service.url }], internalSecret: 'k'.repeat(32), log });
    const app = express();
    app.use(proxy.handler);
    app.use(errorHandler(log));
    gateway = await listen(app);
  });
  afterAll(async () => {
    await gateway.close(100);
    await proxy.close();
    await service.close();
  });

  function call(path: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => get(`${gateway.url}${path}`, resolve).once('error', reject));
  }

  it('passes each chunk of a streamed answer on as it arrives', async () => {
    const answer = call('/api/fake/events');
    const { res } = await service.nextRequest();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
    const client = await answer;
    expect(client.headers['content-type']).toBe('text/event-stream');
    expect(await nextChunk(client)).toBe('data: one\n\n');
    res.write('data: two\n\n');
    expect(await nextChunk(client)).toBe('data: two\n\n');
    res.end();
    await new Promise((resolve) => client.once('end', resolve));
  });

  it("answers 502 in its own words, without the service's headers, when the service dies after its headers", async () => {
    const answer = call('/api/fake/dies');
    const { res } = await service.nextRequest();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100', 'x-from-service': 'yes' });
    res.flushHeaders();
    setTimeout(() => res.socket?.destroy(), 20);
    const client = await answer;
    const body = await new Promise<string>((resolve) => {
      let text = '';
      client.on('data', (chunk: Buffer) => (text += chunk.toString()));
      client.once('end', () => resolve(text));
    });
    expect(client.statusCode).toBe(502);
    expect(client.headers['x-from-service']).toBeUndefined();
    expect(client.headers['content-type']).toMatch(/application\/json/);
    expect(Number(client.headers['content-length'])).toBe(Buffer.byteLength(body));
    expect(JSON.parse(body).error.message).toMatch(/fake/);
  });

  it('ends the request to the service when the client goes away before the answer is complete', async () => {
    const answer = call('/api/fake/slow');
    const { req, res } = await service.nextRequest();
    const serviceSawClose = new Promise((resolve) => res.once('close', resolve));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    const client = await answer;
    await nextChunk(client);
    client.destroy();
    await serviceSawClose;
    expect(res.writableFinished).toBe(false);
    expect(req.destroyed).toBe(true);
  });

  it('passes on only the final answer, not informational ones', async () => {
    const answer = call('/api/fake/hinted');
    const { res } = await service.nextRequest();
    res.writeEarlyHints({ link: '</style.css>; rel=preload' });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('done');
    const client = await answer;
    expect(client.statusCode).toBe(200);
    let body = '';
    for await (const chunk of client) body += chunk;
    expect(body).toBe('done');
  });
});
