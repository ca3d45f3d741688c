import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { aclDisabled } from '../../src/acl/disabled';
import type { Acl, Authenticator, Identity } from '../../src/acl/types';
import { errors } from '../../src/errors';
import { RemoteForwarder } from '../../src/forward/remote';
import { createMetrics } from '../../src/log/metrics';
import { silentLogger } from '../../src/log/logger';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { asAllocId, asNodeId } from '../../src/wire';
import { eventually, sleep } from '../helpers/eventually';

/** A tiny real upstream standing in for an agent: echoes what it got, or streams on demand. */
const startUpstream = async () => {
  const seen: Array<{ url: string; method: string; body: string }> = [];
  const open = new Set<http.ServerResponse>();
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url!, method: req.method!, body });
      if (req.url!.startsWith('/v1/client/fs/logs/')) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('first line\n');
        open.add(res);
        res.on('close', () => open.delete(res));
        return;
      }
      if (req.url!.startsWith('/v1/client/fs/readat/')) {
        // A body of announced length, broken off after its first bytes.
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 1000 });
        res.write('first bytes');
        open.add(res);
        res.on('close', () => open.delete(res));
        return;
      }
      res.writeHead(req.url!.includes('missing') ? 404 : 200, {
        'Content-Type': 'application/json',
        'X-Agent': 'yes',
      });
      res.end(JSON.stringify({ url: req.url, method: req.method, body }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return { srv, port, seen, open, url: `http://127.0.0.1:${port}` };
};

const denyAll: Acl = {
  management: false,
  allowNamespaceOp: () => false,
  allowNodeRead: () => false,
  allowNodeWrite: () => false,
};
/** Token "good" may do anything; "none" nothing; "bad" fails authentication. */
const fakeAuth: Authenticator = {
  enabled: true,
  authenticate: async (t): Promise<Identity> => {
    if (t === 'bad') throw errors.tokenNotFound();
    if (t === 'good') return aclDisabled.authenticate(t);
    return { accessorId: 'anonymous', type: 'anonymous', acl: denyAll };
  },
};

describe('gateway app against a real upstream', () => {
  let up: Awaited<ReturnType<typeof startUpstream>>;
  let reg: MemoryRegistry;
  let fwd: RemoteForwarder;
  const nodeId = asNodeId(randomUUID());
  const downId = asNodeId(randomUUID());
  const deadId = asNodeId(randomUUID());
  const allocId = asAllocId(randomUUID());
  const deadAlloc = asAllocId(randomUUID());
  const metrics = createMetrics({ role: 'gateway', defaultMetrics: false });
  const app = () =>
    createGatewayApp({
      registry: reg,
      forwarder: fwd,
      authenticator: fakeAuth,
      logger: silentLogger(),
      metrics,
    });

  beforeAll(async () => {
    up = await startUpstream();
    reg = new MemoryRegistry();
    fwd = new RemoteForwarder({ connectTimeoutMs: 500 });
    const base = { Datacenter: 'dc1', Meta: {}, Version: '0.1.0' };
    await reg.putNode(
      { ...base, ID: nodeId, Name: 'a', HTTPAddr: `127.0.0.1:${up.port}`, AdvertiseURL: up.url },
      60_000,
    );
    await reg.putNode(
      { ...base, ID: downId, Name: 'b', HTTPAddr: '127.0.0.1:1', AdvertiseURL: 'http://127.0.0.1:1' },
      1,
    );
    await reg.putNode(
      { ...base, ID: deadId, Name: 'c', HTTPAddr: '127.0.0.1:1', AdvertiseURL: 'http://127.0.0.1:1' },
      60_000,
    );
    const a = {
      Namespace: 'default',
      JobID: 'j',
      TaskGroup: 'g',
      Name: 'j.g[0]',
      Tasks: ['web'],
      ClientStatus: 'running' as const,
      CreateTime: 1,
      ModifyTime: 1,
    };
    await reg.putAlloc({ ...a, ID: allocId, NodeID: nodeId });
    await reg.putAlloc({ ...a, ID: deadAlloc, NodeID: deadId });
    await sleep(5);
  });
  afterAll(async () => {
    fwd.close();
    up.srv.closeAllConnections();
    await new Promise((r) => up.srv.close(r));
  });

  test('an alloc route is forwarded with status, headers, path and query intact', async () => {
    const res = await request(app())
      .get(`/v1/client/fs/ls/${allocId}?path=/alloc`)
      .set('X-Nomad-Token', 'good');
    expect(res.status).toBe(200);
    expect(res.headers['x-agent']).toBe('yes');
    expect(res.body).toMatchObject({ url: `/v1/client/fs/ls/${allocId}?path=/alloc`, method: 'GET' });
    const miss = await request(app())
      .get(`/v1/client/fs/stat/${allocId}?path=missing`)
      .set('X-Nomad-Token', 'good');
    expect(miss.status).toBe(404);
  });

  test('unknown allocation is 404 even without a token; a bad token is refused first', async () => {
    const id = randomUUID();
    const r1 = await request(app()).get(`/v1/client/fs/ls/${id}`);
    expect([r1.status, r1.text]).toEqual([404, `Unknown allocation "${id}"`]);
    expect(r1.headers['content-type']).toBe('text/plain; charset=utf-8');
    const r2 = await request(app()).get(`/v1/client/fs/ls/${id}`).set('X-Nomad-Token', 'bad');
    expect(r2.status).toBe(403);
    const r3 = await request(app()).get(`/v1/client/fs/ls/${allocId}`);
    expect([r3.status, r3.text]).toEqual([403, 'Permission denied']);
  });

  test('alloc id shapes: empty is 400, short is 400 lookup failed', async () => {
    const r1 = await request(app()).get('/v1/client/fs/ls/');
    expect([r1.status, r1.text]).toEqual([400, 'must provide a valid alloc id']);
    const r2 = await request(app()).get('/v1/client/fs/ls/abcd1234');
    expect(r2.status).toBe(400);
    expect(r2.text).toMatch(/^alloc lookup failed/);
  });

  test('node routes: missing node_id 400, unknown 404, down 503 at once', async () => {
    const r1 = await request(app()).get('/v1/client/stats').set('X-Nomad-Token', 'good');
    expect([r1.status, r1.text]).toEqual([400, 'No local Node and node_id not provided']);
    const u = randomUUID();
    const r2 = await request(app()).get(`/v1/client/stats?node_id=${u}`).set('X-Nomad-Token', 'good');
    expect([r2.status, r2.text]).toEqual([404, `Unknown node ${u}`]);
    const t0 = Date.now();
    const r3 = await request(app()).get(`/v1/client/stats?node_id=${downId}`).set('X-Nomad-Token', 'good');
    expect(r3.status).toBe(503);
    expect(r3.text).toMatch(new RegExp(`^No path to node: node ${downId} is down \\(last heartbeat `));
    expect(Date.now() - t0).toBeLessThan(500);
    const r4 = await request(app()).get(`/v1/client/stats?node_id=${nodeId}`);
    expect(r4.status).toBe(403);
  });

  test('an unreachable agent is 503 No path to node (named by id, its address not shown), not 504', async () => {
    const r = await request(app()).get(`/v1/client/fs/ls/${deadAlloc}`).set('X-Nomad-Token', 'good');
    expect(r.status).toBe(503);
    expect(r.text).toBe(`No path to node: node ${deadId}: connection refused`);
  });

  test('POST metadata: NodeID from the body routes, and the same body reaches the agent', async () => {
    const body = JSON.stringify({ NodeID: nodeId, Meta: { a: 'b' } });
    const r = await request(app())
      .post('/v1/client/metadata')
      .set('X-Nomad-Token', 'good')
      .set('Content-Type', 'application/json')
      .send(body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ method: 'POST', body });
    const r2 = await request(app()).put(`/v1/client/metadata?node_id=${nodeId}`).set('X-Nomad-Token', 'good');
    expect([r2.status, r2.text]).toEqual([405, 'Invalid method']);
  });

  test('a POST metadata body over 1 MiB is 413 at the gateway', async () => {
    const huge = JSON.stringify({ NodeID: nodeId, Meta: { big: 'x'.repeat(2 << 20) } });
    const r = await request(app())
      .post('/v1/client/metadata')
      .set('X-Nomad-Token', 'good')
      .set('Content-Type', 'application/json')
      .send(huge);
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/^request body: request entity too large/);
  });

  test('a client abort on a follow stream closes the upstream response', async () => {
    const srv = app().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as AddressInfo).port;
    const req = http.get(
      `http://127.0.0.1:${port}/v1/client/fs/logs/${allocId}?task=web&type=stdout&follow=true&plain=true`,
      { headers: { 'X-Nomad-Token': 'good' } },
    );
    const first = await new Promise<string>((resolve) =>
      req.on('response', (res) => res.once('data', (d: Buffer) => resolve(d.toString()))),
    );
    expect(first).toBe('first line\n');
    expect(up.open.size).toBe(1);
    req.destroy();
    await eventually(() => up.open.size === 0, 2000);
    expect(up.open.size).toBe(0);
    srv.close();
  });

  test('an agent dying mid-stream ends the client response with the reason appended', async () => {
    const srv = app().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as AddressInfo).port;
    const text = await new Promise<string>((resolve) => {
      http.get(
        `http://127.0.0.1:${port}/v1/client/fs/logs/${allocId}?task=web&type=stdout&follow=true&plain=true`,
        { headers: { 'X-Nomad-Token': 'good' } },
        (res) => {
          let t = '';
          res.on('data', (d: Buffer) => {
            t += d.toString();
            if (t === 'first line\n') for (const o of up.open) o.socket?.destroy();
          });
          res.on('end', () => resolve(t));
          res.on('error', () => resolve(t));
        },
      );
    });
    expect(text).toMatch(/^first line\n\nNo path to node: /);
    srv.close();
  });

  test('an agent dying inside a body of announced length: the client sees it cut, not a reason counted as bytes', async () => {
    const srv = app().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as AddressInfo).port;
    const outcome = await new Promise<{ got: string; how: string }>((resolve) => {
      let got = '';
      // Without the cut the client waits for the announced bytes that never come.
      const waiting = setTimeout(() => done('still waiting after 5 s'), 5000);
      const done = (how: string) => {
        clearTimeout(waiting);
        req.destroy();
        resolve({ got, how });
      };
      const req = http.get(
        `http://127.0.0.1:${port}/v1/client/fs/readat/${allocId}?path=f&offset=0&limit=1000`,
        { headers: { 'X-Nomad-Token': 'good' } },
        (res) => {
          res.on('data', (d: Buffer) => {
            got += d.toString();
            if (got === 'first bytes') for (const o of up.open) o.socket?.destroy();
          });
          res.on('end', () => done('ended'));
          res.on('error', () => done('cut'));
        },
      );
      req.on('error', () => done('cut'));
    });
    expect(outcome).toEqual({ got: 'first bytes', how: 'cut' });
    srv.close();
  });

  test('read, ACL and job-logs APIs route exactly: upper case and a trailing slash are other paths (404)', async () => {
    for (const p of [
      '/V1/NODES',
      '/v1/nodes/',
      `/v1/node/${nodeId}/`,
      '/v1/ACL/policies',
      '/v1/acl/policies/',
    ]) {
      const res = await request(app()).get(p).set('X-Nomad-Token', 'good');
      expect({ p, status: res.status, text: res.text }).toEqual({
        p,
        status: 404,
        text: 'resource not found',
      });
    }
    expect((await request(app()).get('/v1/nodes').set('X-Nomad-Token', 'good')).status).toBe(200);
  });

  test('read API: nodes, node detail, allocations filtered by ACL, pretty, metrics', async () => {
    const nodes = await request(app()).get('/v1/nodes').set('X-Nomad-Token', 'good');
    expect(nodes.body.map((n: { ID: string }) => n.ID).sort()).toEqual([nodeId, downId, deadId].sort());
    const one = await request(app()).get(`/v1/node/${nodeId}?pretty`).set('X-Nomad-Token', 'good');
    expect(one.text.endsWith('\n')).toBe(true);
    expect(one.body).toMatchObject({
      ID: nodeId,
      Status: 'ready',
      HTTPAddr: `127.0.0.1:${up.port}`,
      TLSEnabled: false,
    });
    expect((await request(app()).get(`/v1/node/${downId}`).set('X-Nomad-Token', 'good')).body.Status).toBe(
      'down',
    );
    expect((await request(app()).get(`/v1/node/${nodeId}`)).status).toBe(403);
    const allocs = await request(app())
      .get(`/v1/allocations?prefix=${allocId.slice(0, 6)}`)
      .set('X-Nomad-Token', 'good');
    expect(allocs.body.map((a: { ID: string }) => a.ID)).toEqual([allocId]);
    expect((await request(app()).get('/v1/allocations')).body).toEqual([]);
    const onNode = await request(app()).get(`/v1/node/${nodeId}/allocations`).set('X-Nomad-Token', 'good');
    expect(onNode.body[0]).toMatchObject({
      ID: allocId,
      NodeID: nodeId,
      TaskStates: { web: { State: 'running' } },
    });
    expect((await request(app()).get(`/v1/allocation/${allocId}`).set('X-Nomad-Token', 'good')).body.ID).toBe(
      allocId,
    );
    expect((await request(app()).get('/v1/agent/health')).status).toBe(200);
    expect((await request(app()).get('/v1/metrics?format=prometheus')).status).toBe(403);
    const m = await request(app()).get('/v1/metrics?format=prometheus').set('X-Nomad-Token', 'good');
    expect(m.text).toContain('fleetgate_gateway_requests_total{route="fs.ls",status="200"}');
    // The read API counts too, under one bounded label.
    expect(m.text).toMatch(/fleetgate_gateway_requests_total\{route="other",status="403"\} [1-9]/);
    expect(m.text).not.toContain(allocId);
  });
});
