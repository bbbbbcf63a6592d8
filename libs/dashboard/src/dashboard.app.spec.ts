import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { createLogger } from '@llmp/core';
import { CONTENT_SECURITY_POLICY, createDashboardApp } from './dashboard.app';

const log = createLogger({ name: 'test', level: 'silent' });
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd.js"></script></head><body><div id="root"></div></body></html>';

describe('admin-dashboard serving the console', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'llmp-console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), INDEX);
    writeFileSync(path.join(dir, 'assets', 'index-Ab12Cd.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets', 'index-Ef34Gh.css'), 'body{}');
    writeFileSync(path.join(dir, 'assets', 'index-Ab12Cd.js.gz'), gzipSync('console.log(1)'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const app = () => createDashboardApp({ log, staticDir: dir });

  it('serves index.html at the root, revalidated on every load, under the strict CSP', async () => {
    const res = await request(app()).get('/').expect(200);
    expect(res.text).toBe(INDEX);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('serves hashed assets as immutable for a year', async () => {
    const js = await request(app()).get('/assets/index-Ab12Cd.js').expect(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-type']).toMatch(/javascript/);
    const css = await request(app()).get('/assets/index-Ef34Gh.css').expect(200);
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('sends the build\'s gzip copy of an asset to a browser that accepts gzip, and the plain file otherwise', async () => {
    const gzip = await request(app()).get('/assets/index-Ab12Cd.js').set('accept-encoding', 'gzip').expect(200);
    expect(gzip.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'accept-encoding', 'cache-control': 'public, max-age=31536000, immutable' });
    expect(gzip.headers['content-type']).toMatch(/javascript/);
    expect(gzip.text).toBe('console.log(1)');
    const plain = await request(app()).get('/assets/index-Ab12Cd.js').set('accept-encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text).toBe('console.log(1)');
    // No gzip copy of this one: the plain file, whatever the browser accepts.
    const css = await request(app()).get('/assets/index-Ef34Gh.css').set('accept-encoding', 'gzip').expect(200);
    expect(css.headers['content-encoding']).toBeUndefined();
  });

  it('answers client routes with the app, so that a reload or a shared link opens the page', async () => {
    for (const route of ['/knowledge-bases', '/knowledge-bases/kb_01abc', '/users', '/login']) {
      const res = await request(app()).get(route).expect(200);
      expect({ route, body: res.text, cache: res.headers['cache-control'] }).toEqual({ route, body: INDEX, cache: 'no-cache' });
    }
  });

  it('never answers an API path, a missing asset or a missing file with the app', async () => {
    for (const route of ['/api', '/api/ingestion/knowledge-bases', '/api/nothing-here', '/assets/index-gone.js', '/favicon.ico', '/robots.txt']) {
      const res = await request(app()).get(route);
      expect({ route, status: res.status, code: res.body?.error?.code }).toEqual({ route, status: 404, code: 'not_found' });
    }
    await request(app()).post('/knowledge-bases').expect(404);
  });

  it('says how to build the console when it is missing, instead of a blank page', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'llmp-console-empty-'));
    try {
      const res = await request(createDashboardApp({ log, staticDir: empty })).get('/knowledge-bases').expect(503);
      expect(res.body.error).toMatchObject({ code: 'console_not_built', message: expect.stringContaining('npx nx build admin-console') });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('keeps its own health endpoint', async () => {
    const res = await request(app()).get('/healthz').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', service: 'admin-dashboard' });
  });
});
