import { randomUUID } from 'node:crypto';
import { RedisRegistry } from '../../../src/registry/redis';
import { BUCKETS, redisKeys } from '../../../src/registry/redis-keys';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-cluster';
import { registryContract } from './contract';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

registryContract('redis cluster', async () => {
  const prefix = `t${randomUUID().slice(0, 8)}:`;
  const reg = await RedisRegistry.connect({ url: cluster.url, prefix });
  const other = await RedisRegistry.connect({ url: cluster.url, prefix });
  return {
    reg,
    other,
    cleanup: async () => {
      await reg.close();
      await other.close();
    },
  };
});

describe('the key layout on a real cluster', () => {
  const k = redisKeys('fleetgate:');
  const slots = async (keys: string[]) => new Set(await Promise.all(keys.map((x) => cluster.keyslot(x))));

  test('every key one node write touches (record, heartbeat, secret, bucket set, deadlines, index, channel) is in one slot', async () => {
    for (const id of [...BUCKETS].map((b) => `${b}${randomUUID().slice(1)}`).concat(['NODE-x', 'z'])) {
      const b = (k.node(id).match(/\{n(.)\}/) ?? [])[1]!;
      const keys = [
        k.node(id),
        k.heartbeat(id),
        k.nodeSecret(id),
        k.nodes(b),
        k.deadlines(b),
        k.nodeIndex(b),
        k.nodeChannel(b),
      ];
      expect({ id, slots: (await slots(keys)).size }).toEqual({ id, slots: 1 });
    }
  });

  test('every key one allocation write touches (record, bucket set, old and new node sets, index, stamp, channel) is in one slot', async () => {
    for (const id of [...BUCKETS].map((b) => `${b}${randomUUID().slice(1)}`)) {
      const b = id.charAt(0);
      const keys = [
        k.alloc(id),
        k.allocs(b),
        k.nodeAllocs(b, randomUUID()),
        k.nodeAllocs(b, randomUUID()),
        k.allocIndex(b),
        k.allocStamp(id),
        k.allocChannel(b),
      ];
      expect({ id, slots: (await slots(keys)).size }).toEqual({ id, slots: 1 });
    }
  });

  test('ACL keys share one slot; node and allocation buckets spread over every master', async () => {
    const acl = [
      k.policy('p'),
      k.policies,
      k.policyIndex,
      k.revoked('j'),
      k.revocations,
      k.issued('j'),
      k.joinToken('a'),
      k.bootstrap,
      k.aclChannel,
    ];
    expect((await slots(acl)).size).toBe(1);
    const buckets = [...BUCKETS].flatMap((b) => [k.nodes(b), k.allocs(b)]);
    expect((await slots(buckets)).size).toBe(32);
    const masters = new Set((await Promise.all(buckets.map((x) => cluster.masterFor(x)))).map((n) => n.port));
    expect(masters.size).toBe(3);
  });

  test('a write whose keys span two slots is refused by the cluster (what the layout prevents)', async () => {
    const reg = await RedisRegistry.connect({ url: cluster.url, prefix: 'x:' });
    try {
      await expect(
        reg.client.eval("return redis.call('GET', KEYS[2])", 2, 'x:{n0}a', 'x:{n1}b'),
      ).rejects.toThrow(/CROSSSLOT|same slot|non local/i);
    } finally {
      await reg.close();
    }
  });
});
