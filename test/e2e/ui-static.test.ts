import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { aclDisabled } from '../../src/acl/disabled';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { errorResponder } from '../../src/http/respond-error';
import { uiStatic } from '../../src/router/ui-static';
import { tmpDir } from '../helpers/tmp';

/** `npm test` builds first, so dist/ui holds the real bundle the gateway serves. */
const DIST_UI = path.resolve(__dirname, '../../dist/ui');

const app = () =>
  createGatewayApp({
    registry: new MemoryRegistry(),
    forwarder: new RemoteForwarder({ connectTimeoutMs: 500 }),
    authenticator: aclDisabled,
    logger: silentLogger(),
  });

const expectSecurityHeaders = (res: request.Response) => {
  const csp = res.headers['content-security-policy'] as string;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers['x-content-type-options']).toBe('nosniff');
};

describe('the web UI at /ui/', () => {
  beforeAll(() => {
    if (!fs.existsSync(path.join(DIST_UI, 'index.html')))
      throw new Error('dist/ui is missing: run `npm run build` (npm test does it first)');
  });

  test('/ui/ is the page, with a strict CSP, nosniff and no inline script', async () => {
    const res = await request(app()).get('/ui/').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expectSecurityHeaders(res);
    expect(res.text).toContain('<script src="/ui/app.js"');
    // Every <script> loads a file: nothing inline for the CSP to have to allow.
    expect(res.text.match(/<script\b[^>]*>/g)!.every((tag) => /\bsrc=/.test(tag))).toBe(true);
    expect(res.text).not.toMatch(/\sstyle=|\son[a-z]+=/i);
  });

  test('every page URL below /ui/ answers the page, so links and reloads work', async () => {
    for (const p of [
      '/ui/nodes',
      '/ui/allocations/0b4ac0b6-3f0c-4f5e-9a55-4b1a2c7b8e90/logs',
      '/ui/sign-in',
    ]) {
      const res = await request(app()).get(p).expect(200);
      expect(res.text).toContain('<div id="app">');
      expectSecurityHeaders(res);
    }
  });

  test('/ui redirects to /ui/', async () => {
    const res = await request(app()).get('/ui').expect(302);
    expect(res.headers['location']).toBe('/ui/');
  });

  test('assets are served with their types and the same headers; a missing asset is 404, not the page', async () => {
    const js = await request(app()).get('/ui/app.js').expect(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expectSecurityHeaders(js);
    const css = await request(app()).get('/ui/app.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const missing = await request(app()).get('/ui/nope.js').expect(404);
    expect(missing.text).not.toContain('<div id="app">');
    expectSecurityHeaders(missing);
  });

  test('nothing outside dist/ui is reachable through /ui/', async () => {
    for (const p of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/..%2fpackage.json',
      '/ui/.%2e/cli/main.js',
    ]) {
      const res = await request(app()).get(p);
      expect(res.status).not.toBe(200);
      expect(res.text).not.toContain('"name": "fleetgate"');
    }
  });

  test('only GET and HEAD: a POST is 404 and the API routes are untouched', async () => {
    await request(app()).post('/ui/').expect(404);
    await request(app()).head('/ui/').expect(200);
    const health = await request(app()).get('/v1/agent/health').expect(200);
    expect(health.headers['content-security-policy']).toBeUndefined();
  });

  test('a gateway whose UI was not built says how to build it', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const a = express();
      a.use(uiStatic(dir));
      a.use(errorResponder(silentLogger()));
      const res = await request(a).get('/ui/nodes').expect(404);
      expect(res.text).toContain('npm run build');
    } finally {
      cleanup();
    }
  });
});
