import http from 'node:http';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { RedisRegistry } from '../../src/registry/redis';
import { asAllocId, asNodeId, type AllocRecord } from '../../src/wire';
import { fdCount, startFleetgate, type FleetgateProcess } from '../helpers/fleetgate-process';
import { startRedis, type RedisServer } from '../helpers/redis';
import { eventually, sleep } from '../helpers/eventually';

const WATCHERS = 1000;
const WAKE_SLACK_MS = 150;

/**
 * Total calls per command from INFO commandstats, without INFO itself (the probe) and the
 * gateway's lapse sweep (one script per node bucket per second, however many watchers: the
 * script and the ZRANGEBYSCORE it runs), which is no cost of a held watcher.
 */
const commandCalls = async (probe: Redis): Promise<Map<string, number>> => {
  const text = await probe.info('commandstats');
  const calls = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (!['info', 'eval', 'zrangebyscore'].includes(m[1]!)) calls.set(m[1]!, Number(m[2]));
  return calls;
};
const diff = (a: Map<string, number>, b: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)]).filter(([, d]) => d !== 0));

const rssKiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

const getJson = (url: string): Promise<{ index: number; body: unknown; at: number }> =>
  new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let t = '';
        res.on('data', (c: Buffer) => (t += c.toString()));
        res.on('end', () =>
          resolve({ index: Number(res.headers['x-nomad-index']), body: JSON.parse(t), at: Date.now() }),
        );
      })
      .on('error', reject);
  });

describe('blocking queries on a gateway over Redis', () => {
  let redis: RedisServer;
  let writer: RedisRegistry;
  let probe: Redis;
  let gateway: FleetgateProcess;
  const nodeId = asNodeId(randomUUID());
  const node = {
    ID: nodeId,
    Name: 'n1',
    Datacenter: 'dc1',
    HTTPAddr: '127.0.0.1:1',
    AdvertiseURL: 'http://127.0.0.1:1',
    Meta: {},
    Version: '0.1.0',
  };

  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startFleetgate(['gateway', '--http-addr', '127.0.0.1:0', '--redis', redis.url]);
    writer = await RedisRegistry.connect({ url: redis.url });
    probe = new Redis(redis.url);
    // Registered after the gateway started, so the gateway hears the TTL in the change itself.
    await writer.putNode(node, 600_000);
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    await writer?.close();
    probe?.disconnect();
    await redis?.stop();
  });

  test(`${WATCHERS} held watchers cost no Redis command while idle and are released on disconnect`, async () => {
    const { index } = await getJson(`${gateway.url}/v1/nodes`);
    const baseFds = await fdCount(gateway.pid);
    const baseRss = rssKiB(gateway.pid);
    const reqs: http.ClientRequest[] = [];
    let answered = 0;
    for (let i = 0; i < WATCHERS; i++) {
      const req = http.get(`${gateway.url}/v1/nodes?index=${index}`, { agent: false }, () => (answered += 1));
      req.on('error', () => undefined);
      reqs.push(req);
    }
    // Every watcher holds a connection at the gateway (one descriptor each). Opening 1000 of them
    // is set-up, not the property: a loaded machine gets room.
    await eventually(async () => (await fdCount(gateway.pid)) >= baseFds + WATCHERS, 40_000, 'held watchers');
    // Arriving requests may still be read (a token check, a lookup); wait until Redis is quiet.
    let before = await commandCalls(probe);
    for (let i = 0; i < 60; i++) {
      await sleep(500);
      const now = await commandCalls(probe);
      const settled = Object.keys(diff(before, now)).length === 0;
      before = now;
      if (settled) break;
    }
    await sleep(2000);
    const after = await commandCalls(probe);
    expect(diff(before, after)).toEqual({});
    expect(answered).toBe(0);
    const perWatcher = ((rssKiB(gateway.pid) - baseRss) * 1024) / WATCHERS;
    process.stdout.write(`gateway RSS per held watcher: ~${Math.round(perWatcher / 1024)} KiB\n`);

    for (const r of reqs) r.destroy();
    await eventually(async () => (await fdCount(gateway.pid)) <= baseFds, 10_000, 'descriptors released');
    expect(answered).toBe(0);
  }, 90_000);

  test('a watcher wakes within 100 ms of a write to Redis that passes its index', async () => {
    const alloc: AllocRecord = {
      ID: asAllocId(randomUUID()),
      NodeID: nodeId,
      Namespace: 'default',
      JobID: 'web',
      TaskGroup: 'web',
      Name: 'web.web[0]',
      Tasks: ['app'],
      ClientStatus: 'running',
      CreateTime: 1,
      ModifyTime: 1,
    };
    const { index } = await getJson(`${gateway.url}/v1/allocations`);
    const woke = getJson(`${gateway.url}/v1/allocations?index=${index}`);
    await sleep(200);
    const t0 = Date.now();
    await writer.putAlloc(alloc);
    const r = await woke;
    expect(r.index).toBeGreaterThan(index);
    expect((r.body as Array<{ ID: string }>).map((a) => a.ID)).toContain(alloc.ID);
    // The bound is 100 ms; the rest is slack for a loaded CI machine (the figure is printed).
    process.stdout.write(`watcher woke ${r.at - t0} ms after the write\n`);
    expect(r.at - t0).toBeLessThan(100 + WAKE_SLACK_MS);
  });

  test('a lapsed heartbeat in Redis wakes node watchers with Status down', async () => {
    const { index } = await getJson(`${gateway.url}/v1/node/${nodeId}`);
    const woke = getJson(`${gateway.url}/v1/node/${nodeId}?index=${index}&wait=10s`);
    await writer.heartbeat(nodeId, 300);
    const r = await woke;
    expect(r.body).toMatchObject({ ID: nodeId, Status: 'down' });
    expect(r.index).toBeGreaterThan(index);
  }, 15_000);
});
