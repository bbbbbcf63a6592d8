import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Identity } from '@llmp/contracts';
import { IDENTITY_HEADER, requestTarget, signIdentity } from './secrets';

/** A cheap scrypt cost so suites that create many users stay fast; never used outside tests. */
export const TEST_PASSWORD_COST = { N: 2 ** 10, r: 8, p: 1 };

/** Names the identity the signing forwarder vouches for (JSON); it never reaches the service. */
export const TEST_IDENTITY_HEADER = 'x-test-identity';

export interface SigningForwarder {
  url: string;
  close(): Promise<void>;
}

/**
 * A real HTTP hop that does what the gateway does for a service's tests:
 * signs the identity named in `x-test-identity` for the request exactly as
 * it arrived (method, URL, body length and type) and streams it on. Lets
 * service suites send any body through supertest without knowing its final
 * length up front, and each request gets its own single-use signature.
 */
export async function startSigningForwarder({ target, secret }: { target: string; secret: string }): Promise<SigningForwarder> {
  const server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers };
    const named = headers[TEST_IDENTITY_HEADER];
    delete headers[TEST_IDENTITY_HEADER];
    delete headers[IDENTITY_HEADER];
    if (typeof named === 'string') {
      const identity = JSON.parse(named) as Identity;
      headers[IDENTITY_HEADER] = signIdentity(identity, requestTarget(req), secret);
    }
    const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
