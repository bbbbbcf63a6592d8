import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAuthService } from '@llmp/auth';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { createLogger } from '@llmp/core';
import { createPgliteDb, migrate, type Db } from '@llmp/db';
import { createGatewayApp, gatewayMigrations } from '../index';

const log = createLogger({ name: 'test', level: 'silent' });
const secret = 'k'.repeat(32);

/** A TCP listener that must never be reached: it counts every connection made to it. */
async function aTrap() {
  let connections = 0;
  const server: TcpServer = createTcpServer((socket) => {
    connections++;
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\ntrapped');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  bytes: number;
}

/** Stands in for every platform service and the dashboard, recording what reaches it. */
async function aService() {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      if (req.url !== '/healthz') seen.push({ url: req.url!, headers: req.headers, bytes });
      res.setHeader('content-type', 'application/json');
      res.setHeader('connection', 'keep-alive, x-hop-secret');
      res.setHeader('x-hop-secret', 'must-not-leave');
      res.end(JSON.stringify({ url: req.url, bytes }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** Sends one request exactly as written (no client normalises it) and returns the status and body. */
function rawRequest(port: number, head: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${head.split('\r\n')[0]}`)));
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`${head}\r\nconnection: close\r\n${body ? `content-length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
  });
}

describe('request targets at the gateway', () => {
  let db: Db;
  let token: string;
  let trap: Awaited<ReturnType<typeof aTrap>>;
  let service: Awaited<ReturnType<typeof aService>>;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    db = await createPgliteDb();
    await migrate(db, gatewayMigrations);
    const auth = createAuthService({ db, log, passwordCost: TEST_PASSWORD_COST });
    await auth.createUser({ username: 'mallory', password: 'mallory-password', role: 'admin' });
    token = (await auth.login('mallory', 'mallory-password')).token;
    trap = await aTrap();
    service = await aService();
    const s = service.url;
    const app = createGatewayApp({
      db,
      log,
      auth,
      internalSecret: secret,
      services: { ingestion: s, structuring: s, training: s, agents: s, dashboard: s },
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await trap.close();
    await service.close();
    await db.close();
  });

  const hostile = (trapPort: number) => [
    `GET http://127.0.0.1:${trapPort}/x HTTP/1.1`,
    `POST http://127.0.0.1:${trapPort}/api/ingestion/x HTTP/1.1`,
    `GET //127.0.0.1:${trapPort}/x HTTP/1.1`,
    `GET //127.0.0.1:${trapPort}/api/ingestion/x HTTP/1.1`,
    `GET /\\127.0.0.1:${trapPort}/x HTTP/1.1`,
    `GET /api/ingestion/../../metrics HTTP/1.1`,
    `GET /api/ingestion/%2e%2e/%2E%2e/metrics HTTP/1.1`,
    `GET /api/ingestion/.%2e/x HTTP/1.1`,
    `GET /api/ingestion/./info HTTP/1.1`,
    `GET /api/ingestion/x/%zz HTTP/1.1`,
    `GET * HTTP/1.1`,
  ];

  it.each([
    ['anonymous', ''],
    ['authenticated', 'Bearer'],
  ])('refuses absolute-form, "//", backslash, dot-segment and malformed targets with 400 and forwards nothing (%s)', async (_label, auth) => {
    const before = service.seen.length;
    for (const line of hostile(trap.port)) {
      const headers = [line, `host: 127.0.0.1:${port}`, ...(auth ? [`authorization: Bearer ${token}`] : [])].join('\r\n');
      const res = await rawRequest(port, headers, line.startsWith('POST') ? '{"a":1}' : '');
      expect({ line, status: res.status }).toEqual({ line, status: 400 });
      expect(JSON.parse(res.body).error.code).toMatch(/^(invalid_request_target|malformed_path)$/);
    }
    expect(trap.connections()).toBe(0);
    expect(service.seen.slice(before)).toEqual([]);
  });

  it('routes and forwards the same normalised path, so encoded letters cannot reach another route', async () => {
    const res = await rawRequest(port, [`GET /api/%69ngestion/info?q=%41 HTTP/1.1`, `host: 127.0.0.1:${port}`, `authorization: Bearer ${token}`].join('\r\n'));
    expect(res.status).toBe(200);
    const seen = service.seen.at(-1)!;
    expect(seen.url).toBe('/api/ingestion/info?q=%41');
    expect(seen.headers['x-llmp-identity']).toMatch(/^v1\./);
  });

  it('keeps an encoded slash inside its segment and the request on its own origin', async () => {
    const res = await rawRequest(port, [`GET /%2F127.0.0.1:${trap.port}/x HTTP/1.1`, `host: 127.0.0.1:${port}`].join('\r\n'));
    expect(res.status).toBe(200);
    expect(service.seen.at(-1)!.url).toBe(`/%2F127.0.0.1:${trap.port}/x`);
    expect(trap.connections()).toBe(0);
  });

  it('forwards no hop-by-hop header either way, including those named in Connection', async () => {
    const res = await rawRequest(
      port,
      [
        'GET /api/ingestion/info HTTP/1.1',
        `host: 127.0.0.1:${port}`,
        `authorization: Bearer ${token}`,
        'x-client-hop: secret',
        'te: trailers',
        'keep-alive: timeout=5',
        'proxy-connection: keep-alive',
        'upgrade: websocket',
      ].join('\r\n').replace('\r\nx-client-hop', '\r\nconnection: x-client-hop\r\nx-client-hop'),
    );
    expect(res.status).toBe(200);
    const headers = service.seen.at(-1)!.headers;
    for (const name of ['x-client-hop', 'te', 'keep-alive', 'proxy-connection', 'upgrade', 'expect']) expect(headers[name]).toBeUndefined();
  });

  it('answers every API response with nosniff and drops hop-by-hop headers the service named', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/ingestion/info`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-hop-secret')).toBeNull();
    const own = await fetch(`http://127.0.0.1:${port}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(own.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('uploads a multi-megabyte file with curl and its default Expect: 100-continue', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'llmp-expect-'));
    try {
      const file = path.join(dir, 'big.bin');
      await writeFile(file, Buffer.alloc(4 * 1024 * 1024, 65));
      const { stdout, stderr } = await promisify(execFile)('curl', [
        '-sS',
        '-v',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '-H',
        `authorization: Bearer ${token}`,
        '-F',
        `file=@${file}`,
        `http://127.0.0.1:${port}/api/ingestion/knowledge-bases/kb_1/documents`,
      ]);
      expect(stderr).toMatch(/Expect: 100-continue/i);
      expect(stdout).toBe('200');
      const seen = service.seen.at(-1)!;
      expect(seen.url).toBe('/api/ingestion/knowledge-bases/kb_1/documents');
      expect(seen.bytes).toBeGreaterThan(4 * 1024 * 1024);
      expect(seen.headers.expect).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
