/**
 * The least a Node reverse proxy can do, as `npm run bench`'s peer for the
 * gateway: node:http in, undici's dispatcher out with the gateway's pool
 * settings, headers passed on as they came (the bench signs the identity
 * itself), no authentication, routing, logging or metrics. What the gateway
 * costs beyond this is the platform's; up to this it is the hop's.
 *
 * Usage: node --import tsx bare-proxy.ts <port> <upstream origin>
 */
import http from 'node:http';
import { Agent, type Dispatcher } from 'undici';

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const origin = new URL(upstream).origin;
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

function passed(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = http.createServer((req, res) => {
  dispatcher.dispatch(
    { origin, path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers: passed(req.headers) },
    {
      onRequestStart() {},
      onResponseStart(_controller, statusCode, headers) {
        res.writeHead(statusCode, passed(headers));
      },
      onResponseData(_controller, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_controller, error) {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end(String(error.message));
      },
    },
  );
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
