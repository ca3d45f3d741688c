import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { aclDisabled } from '../../src/acl/disabled';
import type { Authenticator, Identity } from '../../src/acl/types';
import { RemoteForwarder } from '../../src/forward/remote';
import { silentLogger } from '../../src/log/logger';
import { indexWatchFor } from '../../src/registry/index-watch';
import { NodeLiveness } from '../../src/registry/liveness';
import { MemoryRegistry } from '../../src/registry/memory';
import { createGatewayApp } from '../../src/router/app';
import { parseBlocking } from '../../src/router/blocking';
import { asAllocId, asNodeId, type AllocRecord } from '../../src/wire';
import { eventually, sleep } from '../helpers/eventually';

/** Token "good" may do anything; any other token (or none) nothing. */
const auth: Authenticator = {
  enabled: true,
  authenticate: async (t): Promise<Identity> =>
    t === 'good'
      ? aclDisabled.authenticate(t)
      : {
          accessorId: 'anonymous',
          type: 'anonymous',
          acl: {
            management: false,
            allowNamespaceOp: () => false,
            allowNodeRead: () => false,
            allowNodeWrite: () => false,
          },
        },
};

const WAKE_SLACK_MS = 150;

interface Answer {
  status: number;
  index: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  at: number;
}

describe('registry reads are Nomad blocking queries', () => {
  let reg: MemoryRegistry;
  let liveness: NodeLiveness;
  let server: http.Server;
  let base: string;
  const fwd = new RemoteForwarder({ connectTimeoutMs: 200 });
  const nodeId = asNodeId(randomUUID());
  const nodeInput = {
    ID: nodeId,
    Name: 'n1',
    Datacenter: 'dc1',
    HTTPAddr: '127.0.0.1:1',
    AdvertiseURL: 'http://127.0.0.1:1',
    Meta: {},
    Version: '0.1.0',
  };
  const alloc: AllocRecord = {
    ID: asAllocId(randomUUID()),
    NodeID: nodeId,
    Namespace: 'default',
    JobID: 'web',
    TaskGroup: 'web',
    Name: 'web.web[0]',
    Tasks: ['app'],
    ClientStatus: 'running',
    CreateTime: 1_700_000_000_000_000_000,
    ModifyTime: 1_700_000_000_000_000_000,
  };

  /** GET with the token "good"; resolves with the time the answer arrived. */
  const get = (path: string, opts: { token?: string; signal?: AbortSignal } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = http.get(
        `${base}${path}`,
        {
          headers: { 'X-Nomad-Token': opts.token ?? 'good' },
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              index: Number(res.headers['x-nomad-index']),
              headers: res.headers,
              body: res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : text,
              at: Date.now(),
            }),
          );
        },
      );
      req.on('error', reject);
    });

  beforeAll(async () => {
    reg = new MemoryRegistry();
    liveness = new NodeLiveness(reg);
    await liveness.start();
    await reg.putNode(nodeInput, 60_000);
    await reg.putAlloc(alloc);
    const app = createGatewayApp({
      registry: reg,
      forwarder: fwd,
      authenticator: auth,
      logger: silentLogger(),
    });
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    liveness.stop();
    fwd.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const READS = [
    '/v1/nodes',
    `/v1/node/${nodeId}`,
    `/v1/node/${nodeId}/allocations`,
    '/v1/allocations',
    `/v1/allocation/${alloc.ID}`,
  ];

  test.each(READS)('%s carries X-Nomad-Index (never 0), KnownLeader and LastContact', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(200);
    expect(r.index).toBeGreaterThanOrEqual(1);
    expect(r.headers['x-nomad-knownleader']).toBe('true');
    expect(r.headers['x-nomad-lastcontact']).toBe('0');
  });

  test('a watcher on every read wakes within 100 ms of the change that passes its index', async () => {
    const held = await Promise.all(READS.map(async (p) => ({ p, index: (await get(p)).index })));
    const answers = held.map(({ p, index }) => get(`${p}${p.includes('?') ? '&' : '?'}index=${index}`));
    // The allocation change moves the allocation reads; a node change moves the node reads.
    await sleep(100);
    const changedAt = Date.now();
    await reg.putAlloc({ ...alloc, ModifyTime: alloc.ModifyTime + 1e9 });
    await reg.putNode({ ...nodeInput, Meta: { rack: 'r9' } }, 60_000);
    const got = await Promise.all(answers);
    for (const [i, r] of got.entries()) {
      expect(r.status).toBe(200);
      expect(r.index).toBeGreaterThan(held[i]!.index);
      // The bound is 100 ms; the rest is slack for a loaded CI machine.
      expect(r.at - changedAt).toBeLessThan(100 + WAKE_SLACK_MS);
    }
  });

  test('an identical write does not wake a watcher; the wait is honoured, then the same index comes back', async () => {
    const { index } = await get('/v1/allocations');
    const t0 = Date.now();
    const pending = get(`/v1/allocations?index=${index}&wait=400ms`);
    await reg.putAlloc({ ...(await reg.getAlloc(alloc.ID))! });
    await reg.heartbeat(nodeId, 60_000);
    const r = await pending;
    const took = r.at - t0;
    expect(r.index).toBe(index);
    // 400 ms plus at most 400/16 of jitter; generous upper slack for a loaded machine.
    expect(took).toBeGreaterThanOrEqual(395);
    expect(took).toBeLessThan(2000);
  });

  test('a node whose heartbeat lapses wakes node watchers, its allocation reads lost, and running again when it returns', async () => {
    const { index } = await get(`/v1/node/${nodeId}`);
    const nodeWatch = get(`/v1/node/${nodeId}?index=${index}`);
    const allocWatch = get(
      `/v1/allocation/${alloc.ID}?index=${(await get(`/v1/allocation/${alloc.ID}`)).index}`,
    );
    await reg.heartbeat(nodeId, 150);
    const down = await nodeWatch;
    expect(down.body).toMatchObject({ Status: 'down' });
    const lost = await allocWatch;
    expect(lost.body).toMatchObject({
      ClientStatus: 'lost',
      ClientDescription: 'alloc is lost since its node is down',
    });
    const list = (await get('/v1/allocations')).body as Array<{ ID: string; ClientStatus: string }>;
    expect(list.find((a) => a.ID === alloc.ID)!.ClientStatus).toBe('lost');
    // The stored status is untouched: the node's return shows it again, and wakes watchers.
    const back = get(`/v1/allocation/${alloc.ID}?index=${lost.index}`);
    await reg.heartbeat(nodeId, 60_000);
    expect((await back).body).toMatchObject({ ClientStatus: 'running', ClientDescription: '' });
    expect((await reg.getAlloc(alloc.ID))!.ClientStatus).toBe('running');
  });

  test('a client that disconnects releases its watcher at once', async () => {
    const watch = indexWatchFor(reg);
    const { index } = await get('/v1/nodes');
    const aborts = Array.from({ length: 20 }, () => new AbortController());
    const held = aborts.map((a) =>
      get(`/v1/nodes?index=${index}`, { signal: a.signal }).catch(() => 'aborted'),
    );
    await eventually(() => watch.holding >= 20, 1000);
    expect(watch.holding).toBe(20);
    for (const a of aborts) a.abort();
    await eventually(() => watch.holding === 0, 1000);
    expect(watch.holding).toBe(0);
    expect(await Promise.all(held)).toEqual(aborts.map(() => 'aborted'));
  });

  test('ACL refusals and unknown IDs answer at once, not after the wait', async () => {
    const t0 = Date.now();
    expect((await get('/v1/nodes?index=999999999999999', { token: 'none' })).status).toBe(403);
    expect((await get(`/v1/node/${randomUUID()}?index=999999999999999`)).status).toBe(404);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  test('a malformed index or wait is 400 with Nomad’s text', async () => {
    expect(await get('/v1/nodes?index=abc')).toMatchObject({ status: 400, body: 'Invalid index' });
    expect(await get('/v1/nodes?index=-1')).toMatchObject({ status: 400, body: 'Invalid index' });
    expect(await get('/v1/nodes?index=1&wait=soon')).toMatchObject({
      status: 400,
      body: 'Invalid wait time',
    });
  });
});

describe('parseBlocking', () => {
  const none = () => 0;
  test('Nomad’s defaults: 5 min without wait (or wait=0), capped at 10 min, plus up to wait/16', () => {
    expect(parseBlocking({ index: '7' }, none)).toEqual({ minIndex: 7, waitMs: 300_000 });
    expect(parseBlocking({ index: '7', wait: '0' }, none)).toEqual({ minIndex: 7, waitMs: 300_000 });
    expect(parseBlocking({ index: '7', wait: '1h' }, none)).toEqual({ minIndex: 7, waitMs: 600_000 });
    expect(parseBlocking({ index: '7', wait: '300000ms' }, () => 0.999)!.waitMs).toBe(300_000 + 18_731);
    expect(parseBlocking({ index: '7', wait: '2s' }, none)).toEqual({ minIndex: 7, waitMs: 2000 });
  });
  test('no index, or index 0, is not a blocking query', () => {
    expect(parseBlocking({})).toBeUndefined();
    expect(parseBlocking({ index: '0', wait: '5s' })).toBeUndefined();
  });
});
