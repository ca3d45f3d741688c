import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { targetOf } from '../../../src/http/target';
import { rawExchange } from '../../helpers/raw-http';

/**
 * The kernel parses path and query itself (the agent has no Express); at the gateway Express's
 * routes parse the same request. Both must see the same path and query for any target.
 */
describe('targetOf', () => {
  const targets = [
    '/v1/client/fs/ls/abc?path=alloc%2Flogs&pretty',
    '/v1/client/fs/ls/abc?path=a&path=b',
    '/v1/agent/health',
    '/v1/agent/health?',
    '/a/b#frag?x=1',
    '/a?x=1#frag',
    '/a?x=%zz&y=+1',
    'http://example.com/v1/agent/health?pretty=0',
  ];

  it.each(targets)('%s: the same path and query as Express', async (target) => {
    const seen: Array<{ ours: unknown; express: unknown }> = [];
    const app = express();
    app.set('query parser', 'simple');
    app.use((req, res) => {
      const t = targetOf(req);
      seen.push({
        ours: { path: t.path, query: { ...t.query } },
        express: { path: req.path, query: req.query },
      });
      res.end();
    });
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      await rawExchange(port, [`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
      expect(seen).toHaveLength(1);
      expect(seen[0]!.ours).toEqual(seen[0]!.express);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
