import { randomUUID } from 'node:crypto';
import { CachedRegistry } from '../../../src/registry/cached';
import { MemoryRegistry } from '../../../src/registry/memory';
import { RedisRegistry } from '../../../src/registry/redis';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { alloc, node } from './contract';
import { eventually, sleep } from '../../helpers/eventually';

/**
 * Sum of the data commands Redis executed, from INFO commandstats (what lookups cost Redis).
 * Connection housekeeping (INFO ready checks, SUBSCRIBE, CLIENT) is not a lookup.
 */
const redisCalls = async (r: RedisRegistry): Promise<number> => {
  const info = await r.client.info('commandstats');
  return [...info.matchAll(/cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/g)]
    .filter((m) => !/^(info|subscribe|client|ping|select|hello)/.test(m[1]!))
    .reduce((s, m) => s + Number(m[2]), 0);
};

describe('CachedRegistry', () => {
  test('a changed allocation is re-read after the change is published', async () => {
    const mem = new MemoryRegistry();
    const c = new CachedRegistry(mem);
    const n = node();
    const a = alloc(n.ID);
    await mem.putAlloc(a);
    expect((await c.getAlloc(a.ID))!.ClientStatus).toBe('running');
    await mem.putAlloc({ ...a, ClientStatus: 'complete' });
    await eventually(async () => (await c.getAlloc(a.ID))!.ClientStatus === 'complete', 1000, 'change seen');
    await mem.removeAlloc(a.ID);
    await eventually(async () => (await c.getAlloc(a.ID)) === undefined, 1000, 'removal seen');
  });

  test('node status is computed locally from heartbeats and lapses on time', async () => {
    // One injected clock for the registry and the cache: the lapse is decided by time alone.
    let t = Date.now();
    const now = () => t;
    const mem = new MemoryRegistry({ now });
    const c = new CachedRegistry(mem, { now });
    const n = node();
    await mem.putNode(n, 300);
    await mem.heartbeat(n.ID, 300);
    expect((await c.getNode(n.ID))!.Status).toBe('ready');
    t += 200;
    await mem.heartbeat(n.ID, 300);
    t += 200; // past the first beat's TTL, inside the second's: re-read, still ready
    expect((await c.getNode(n.ID))!.Status).toBe('ready');
    t += 99;
    expect((await c.getNode(n.ID))!.Status).toBe('ready');
    t += 2; // the second beat's TTL has passed
    expect((await c.getNode(n.ID))!.Status).toBe('down');
  });

  describe('on Redis', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedis();
    });
    afterAll(async () => {
      await server.stop();
    });

    test('steady lookups of one allocation and node cost zero Redis commands', async () => {
      const prefix = `c${randomUUID().slice(0, 8)}:`;
      const writer = await RedisRegistry.connect({ url: server.url, prefix });
      const inner = await RedisRegistry.connect({ url: server.url, prefix });
      const c = new CachedRegistry(inner);
      const n = node();
      const a = alloc(n.ID);
      await writer.putNode(n, 10_000);
      await writer.putAlloc(a);
      // Let the writes' own change messages arrive first: they (rightly) invalidate entries.
      await sleep(100);
      await c.getAlloc(a.ID);
      await c.getNode(n.ID);
      await c.isRevoked('jti');
      await c.getPolicy('anonymous');
      const before = await redisCalls(writer);
      for (let i = 0; i < 200; i++) {
        await c.getAlloc(a.ID);
        await c.getNode(n.ID);
        await c.isRevoked('jti');
        await c.getPolicy('anonymous');
      }
      const after = await redisCalls(writer);
      expect(after - before).toBe(0);
      await c.close();
      await writer.close();
    });

    test("a node is not called down for the registry's own outage", async () => {
      const prefix = `o${randomUUID().slice(0, 8)}:`;
      const writer = await RedisRegistry.connect({ url: server.url, prefix });
      let t = Date.now();
      const inner = await RedisRegistry.connect({ url: server.url, prefix });
      const c = new CachedRegistry(inner, { now: () => t });
      const n = node();
      // A TTL long enough that Redis itself cannot lapse it on a slow machine before it is stopped;
      // the cache's clock is the fake one.
      await writer.putNode(n, 5000);
      await sleep(50);
      expect((await c.getNode(n.ID))!.Status).toBe('ready');
      await writer.heartbeat(n.ID, 5000); // tells the cache this node's TTL is 5 s
      await sleep(50);
      await server.stop();
      try {
        await eventually(() => inner.client.status !== 'ready', 5000, 'the cache sees Redis gone');
        // Longer than the node's TTL: with Redis gone no heartbeat can arrive, which says nothing.
        t += 6000;
        expect((await c.getNode(n.ID))!.Status).toBe('ready');
      } finally {
        await server.restart();
        await c.close();
        await writer.close();
      }
    });

    test('Redis down: cached entries serve, misses fail fast with 503; after restart new entries resolve', async () => {
      const prefix = `d${randomUUID().slice(0, 8)}:`;
      const writer = await RedisRegistry.connect({ url: server.url, prefix });
      const c = new CachedRegistry(await RedisRegistry.connect({ url: server.url, prefix }));
      const n = node();
      const a = alloc(n.ID);
      await writer.putNode(n, 10_000);
      await writer.putAlloc(a);
      await sleep(100);
      await c.getAlloc(a.ID);
      await c.getNode(n.ID);
      await server.stop();
      expect((await c.getAlloc(a.ID))!.ID).toBe(a.ID);
      expect((await c.getNode(n.ID))!.Status).toBe('ready');
      const t0 = Date.now();
      await expect(c.getAlloc(alloc(n.ID).ID)).rejects.toMatchObject({ status: 503 });
      expect(Date.now() - t0).toBeLessThan(1500);
      await server.restart();
      // The cache keeps serving what it knew until owners re-assert their records.
      const b = alloc(n.ID);
      const end = Date.now() + 8000;
      for (;;) {
        expect((await c.getAlloc(a.ID))!.ID).toBe(a.ID);
        try {
          await writer.putAlloc(b);
          if (await c.getAlloc(b.ID)) break;
        } catch {
          /* still reconnecting */
        }
        if (Date.now() > end) throw new Error('did not recover');
        await sleep(50);
      }
      expect((await c.getAlloc(a.ID))!.ID).toBe(a.ID);
      await c.close();
      await writer.close();
    });
  });
});
