import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { aclDisabled } from '../../src/acl/disabled';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { asAllocId, asNodeId } from '../../src/wire';

/**
 * A node record whose AdvertiseURL carries a path and query (written straight into the registry,
 * as a node with registry access could) must not make the gateway call another service on that
 * host and hand its answer back: the gateway refuses to dial anything but an origin.
 */
describe('gateway refuses an AdvertiseURL that is not an origin (SSRF)', () => {
  let internal: http.Server;
  let port: number;
  const hits: string[] = [];
  const fwd = new RemoteForwarder();

  beforeAll(async () => {
    internal = http.createServer((req, res) => {
      hits.push(req.url!);
      res.end('internal admin secrets');
    });
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
    port = (internal.address() as AddressInfo).port;
  });
  afterAll(async () => {
    fwd.close();
    await new Promise<void>((r) => internal.close(() => r()));
  });

  test.each([
    ['a path and query', (p: number) => `http://127.0.0.1:${p}/internal/admin?x=`],
    ['userinfo', (p: number) => `http://admin:pw@127.0.0.1:${p}`],
  ])('a record with %s is answered 503 and the internal service sees no request', async (_what, url) => {
    hits.length = 0;
    const registry = new MemoryRegistry();
    const nodeId = asNodeId(randomUUID());
    const allocId = asAllocId(randomUUID());
    await registry.putNode(
      {
        ID: nodeId,
        Name: 'rogue',
        Datacenter: 'dc1',
        HTTPAddr: `127.0.0.1:${port}`,
        AdvertiseURL: url(port),
        Meta: {},
        Version: '1',
      },
      60_000,
    );
    await registry.putAlloc({
      ID: allocId,
      NodeID: nodeId,
      Namespace: 'default',
      JobID: 'j',
      TaskGroup: 'g',
      Name: 'j.g[0]',
      Tasks: ['t'],
      ClientStatus: 'running',
      CreateTime: 0,
      ModifyTime: 0,
    });
    const app = createGatewayApp({
      registry,
      forwarder: fwd,
      authenticator: aclDisabled,
      logger: silentLogger(),
    });
    const stats = await request(app).get(`/v1/client/stats?node_id=${nodeId}`);
    expect(stats.status).toBe(503);
    expect(stats.text).toMatch(/^No path to node: .*not an origin/);
    expect(stats.text).not.toContain('secrets');
    const ls = await request(app).get(`/v1/client/fs/ls/${allocId}?path=/`);
    expect(ls.status).toBe(503);
    expect(hits).toEqual([]);
  });
});
