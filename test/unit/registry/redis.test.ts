import { randomUUID } from 'node:crypto';
import { RedisRegistry } from '../../../src/registry/redis';
import { startRedis, type RedisServer } from '../../helpers/redis';
import { registryContract } from './contract';
import { eventually } from '../../helpers/eventually';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.stop();
});

registryContract('redis', async () => {
  // A fresh prefix per test isolates tests sharing one redis-server (and exercises the prefix).
  const prefix = `t${randomUUID().slice(0, 8)}:`;
  const reg = await RedisRegistry.connect({ url: server.url, prefix });
  const other = await RedisRegistry.connect({ url: server.url, prefix });
  return {
    reg,
    other,
    cleanup: async () => {
      await reg.close();
      await other.close();
    },
  };
});

test('every key lives under the configured prefix', async () => {
  const prefix = `p${randomUUID().slice(0, 8)}:`;
  const reg = await RedisRegistry.connect({ url: server.url, prefix });
  await reg.putNode(
    {
      ID: randomUUID() as never,
      Name: 'n',
      Datacenter: 'dc1',
      HTTPAddr: 'h:1',
      AdvertiseURL: 'http://h:1',
      Meta: {},
      Version: '1',
    },
    5000,
  );
  await reg.revokeToken('x', 0);
  await reg.claimBootstrap('a');
  const all = await reg.client.keys('*');
  const mine = all.filter((k) => !/^t[0-9a-f]{8}:/.test(k));
  expect(mine.length).toBeGreaterThan(0);
  expect(mine.every((k) => k.startsWith(prefix))).toBe(true);
  await reg.close();
});

test('writes fail fast while Redis is down and work again after it returns', async () => {
  const reg = await RedisRegistry.connect({ url: server.url, prefix: `r${randomUUID().slice(0, 8)}:` });
  const seen: string[] = [];
  reg.onChange((c) => seen.push(c.kind));
  await server.stop();
  const t0 = Date.now();
  await expect(reg.getAlloc(randomUUID() as never)).rejects.toThrow();
  expect(Date.now() - t0).toBeLessThan(1500);
  await server.restart();
  await eventually(() => seen.includes('resync'), 8000);
  expect(seen).toContain('resync');
  // The subscriber and the command connection reconnect each on their own: the resync can come
  // from the first while the second is still on its way back (reads then still fail fast).
  await eventually(
    async () => (await reg.getAlloc(randomUUID() as never)) === undefined,
    8000,
    'reads again',
  );
  await reg.close();
});

test('the command connection coming back alone is a resync: its first answer may come from a Redis restarted empty', async () => {
  const reg = await RedisRegistry.connect({ url: server.url, prefix: `k${randomUUID().slice(0, 8)}:` });
  const seen: string[] = [];
  reg.onChange((c) => seen.push(c.kind));
  // Drop only the command connection (a subscriber is of type pubsub, not normal), as happens
  // when, after a restart, it reconnects before the subscriber does.
  const admin = await RedisRegistry.connect({ url: server.url, prefix: 'admin:' });
  try {
    await admin.client.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await eventually(() => seen.includes('resync'), 8000, 'a resync after the command connection returned');
    expect(await reg.getAlloc(randomUUID() as never)).toBeUndefined();
  } finally {
    await reg.close();
    await admin.close();
  }
});
