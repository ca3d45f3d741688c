/**
 * Every Redis key and pub/sub channel of the registry, under one prefix (`--registry-prefix`), so
 * two fleets can share a Redis and an operator can find (or delete) everything with `prefix*`.
 *
 * The layout is one for a single Redis and for Redis Cluster. A cluster runs a script or a
 * MULTI only when every key it touches hashes to one slot, and the slot comes from the part of
 * the key between `{` and `}` (the hash tag). So records are grouped in tagged buckets:
 * - `{n<h>}`: the nodes whose ID starts with hex digit `<h>` — record, heartbeat key, secret, the
 *   bucket's member set, its heartbeat deadlines, its modify-index hash and its change channel;
 * - `{a<h>}`: the same for allocations by the first hex digit of their ID, plus the per-node
 *   sets of the allocations in the bucket (so a node's allocations are 16 sets, one per bucket)
 *   and each allocation's index stamp;
 * - `{acl}`: everything ACL (policies, revocations, issued tokens, join tokens, bootstrap): small,
 *   rarely written, cached by every reader, so one slot holds it.
 * 16 buckets of each kind spread the heartbeat and allocation writes over 32 slots (over every
 * master of a cluster of up to 32), while a list reads only 16 sets. Writes of one node or one
 * allocation touch only its bucket: one slot, atomic as before.
 */
export const BUCKETS = '0123456789abcdef';

/** The bucket of an ID: its first hex digit; anything else (IDs are UUIDs at the API) by a sum. */
export const bucketOf = (id: string): string => {
  const c = id.charAt(0).toLowerCase();
  if (BUCKETS.includes(c) && c !== '') return c;
  let sum = 0;
  for (let i = 0; i < id.length; i++) sum = (sum + id.charCodeAt(i)) % BUCKETS.length;
  return BUCKETS.charAt(sum);
};

export type BucketTag = `{n${string}}` | `{a${string}}` | '{acl}';

export const redisKeys = (prefix: string) => {
  const n = (b: string) => `${prefix}{n${b}}`;
  const a = (b: string) => `${prefix}{a${b}}`;
  const acl = `${prefix}{acl}`;
  return {
    node: (id: string) => `${n(bucketOf(id))}node:${id}`,
    /** Exists (with a PX expiry) exactly while the node's heartbeat is fresh. */
    heartbeat: (id: string) => `${n(bucketOf(id))}hb:${id}`,
    /** The hash of the node's own secret (the gateway's node API checks it). */
    nodeSecret: (id: string) => `${n(bucketOf(id))}node-secret:${id}`,
    /** What every key of a node bucket starts with (the sweep script builds node keys from it). */
    nodeBucket: n,
    /** Set of the node IDs of one bucket. */
    nodes: (b: string) => `${n(b)}nodes`,
    /** Sorted set: node ID scored by when its heartbeat lapses (ms), for the lapse sweep. */
    deadlines: (b: string) => `${n(b)}deadlines`,
    /** Hash: `last` and `nodes`, the modify index stamped by the bucket's last node change. */
    nodeIndex: (b: string) => `${n(b)}modify-index`,
    nodeChannel: (b: string) => `${n(b)}changes`,

    alloc: (id: string) => `${a(bucketOf(id))}alloc:${id}`,
    allocs: (b: string) => `${a(b)}allocs`,
    /** Set of the IDs of one node's allocations in one bucket. */
    nodeAllocs: (b: string, nodeId: string) => `${a(b)}node-allocs:${nodeId}`,
    allocIndex: (b: string) => `${a(b)}modify-index`,
    /** Hash: `create` and `modify`, the bucket index stamped by the allocation's first and last change. */
    allocStamp: (id: string) => `${a(bucketOf(id))}alloc-stamp:${id}`,
    allocChannel: (b: string) => `${a(b)}changes`,

    policy: (name: string) => `${acl}policy:${name}`,
    policies: `${acl}policies`,
    policyIndex: `${acl}policy-index`,
    revoked: (jti: string) => `${acl}revoked:${jti}`,
    /** Sorted set of revoked jti, scored by expiry (+inf = forever), so revocations can be listed. */
    revocations: `${acl}revocations`,
    /** The expiry of a token the ACL API issued (lives as long as the token). */
    issued: (jti: string) => `${acl}issued:${jti}`,
    joinToken: (accessor: string) => `${acl}join-token:${accessor}`,
    bootstrap: `${acl}acl-bootstrap`,
    aclChannel: `${acl}changes`,

    /** Every change channel: what a reader subscribes to. */
    channels: (): string[] => [
      ...[...BUCKETS].flatMap((b) => [`${n(b)}changes`, `${a(b)}changes`]),
      `${acl}changes`,
    ],
  };
};
export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * Lua helpers prepended to every script that can change what a registry read answers.
 * `bump_index` stamps the bucket's modify index (RegistryIndex in registry.ts) with
 * `max(last + 1, server time in µs)`: buckets live on different servers and cannot share a
 * counter, so the server clock orders changes across buckets (and keeps the index growing past
 * every value a client holds, even after Redis restarted empty); the reader takes the highest
 * bucket. `publish_indexed` adds `"index":N` to the change (a JSON object) so blocking queries on
 * every gateway wake without asking Redis. `ARGV[1]` of every script is the publish command:
 * PUBLISH on one Redis, SPUBLISH (sharded: the message stays on the bucket's shard) on a cluster.
 */
const INDEX_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local PUB = ARGV[1]
local function bump_index(key, tbl)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('HGET', key, 'last') or '0')
  local v = string.format('%d', math.max(last + 1, now))
  redis.call('HSET', key, 'last', v, tbl, v)
  return v
end
local function publish_indexed(channel, change, v)
  redis.call(PUB, channel, string.sub(change, 1, -2) .. ',"index":' .. v .. '}')
end
`;

/**
 * putNode in one step: write the record, index it, set its heartbeat key and deadline. The index
 * is bumped when the record changed or the node comes back from down (heartbeat key absent), and
 * stamped on the record as its modifyIndex (and createIndex, the first time): every script that
 * bumps the node index for a node stamps that node, so a record's ModifyIndex moves exactly when
 * what a read of it answers does.
 * KEYS: node, nodes, heartbeat, modify-index, deadlines.
 * ARGV: pub, json, id, now, ttlMs, channel, change.
 */
export const PUT_NODE_LUA = `${INDEX_LUA}
local old = redis.call('HGET', KEYS[1], 'json')
local was_up = redis.call('EXISTS', KEYS[3]) == 1
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'lastHeartbeat', ARGV[4], 'ttlMs', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
redis.call('ZADD', KEYS[5], tonumber(ARGV[4]) + tonumber(ARGV[5]), ARGV[3])
if not was_up then
  redis.call('HSET', KEYS[1], 'statusAt', ARGV[4])
  redis.call('HDEL', KEYS[1], 'down')
end
if old ~= ARGV[2] or not was_up then
  local v = bump_index(KEYS[4], 'nodes')
  redis.call('HSET', KEYS[1], 'modifyIndex', v)
  redis.call('HSETNX', KEYS[1], 'createIndex', v)
  publish_indexed(ARGV[6], ARGV[7], v)
else
  redis.call(PUB, ARGV[6], ARGV[7])
end
return 1`;

/**
 * markDown: once per outage, only when the heartbeat key has expired (Redis never returns an
 * expired key, so this cannot call a live node down).
 * KEYS: node, heartbeat, modify-index, deadlines. ARGV: pub, now, channel, change, id.
 */
export const MARK_DOWN_LUA = `${INDEX_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'down') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'down', '1', 'statusAt', ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[5])
local v = bump_index(KEYS[3], 'nodes')
redis.call('HSET', KEYS[1], 'modifyIndex', v)
publish_indexed(ARGV[3], ARGV[4], v)
return 1`;

/**
 * putAlloc in one step: refuse a record another node owns (returns 0: an allocation ID belongs
 * to the first node that stores it), else write the record, index it in its bucket and in the
 * bucket's set of its node, then publish. Atomic, so two nodes racing for one ID cannot both
 * win, and a reader never sees a change published before the write. The index is bumped only
 * when the stored JSON changed, and stamped on the allocation (modify; create the first time).
 * KEYS: alloc, allocs, node-allocs, modify-index, alloc-stamp.
 * ARGV: pub, json, id, node-allocs prefix, channel, change, node id.
 */
export const PUT_ALLOC_LUA = `${INDEX_LUA}
local old = redis.call('GET', KEYS[1])
if old then
  local o = cjson.decode(old)
  if o['NodeID'] ~= ARGV[7] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3])
if old ~= ARGV[2] then
  local v = bump_index(KEYS[4], 'allocs')
  redis.call('HSET', KEYS[5], 'modify', v)
  redis.call('HSETNX', KEYS[5], 'create', v)
  publish_indexed(ARGV[5], ARGV[6], v)
else
  redis.call(PUB, ARGV[5], ARGV[6])
end
return 1`;

/**
 * removeAlloc; with an owner (ARGV[6], '' = any), only the owner's record is removed.
 * KEYS: alloc, allocs, modify-index, alloc-stamp. ARGV: pub, id, node-allocs prefix, channel, change, owner.
 */
export const REMOVE_ALLOC_LUA = `${INDEX_LUA}
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local o = cjson.decode(old)
if ARGV[6] ~= '' and o['NodeID'] ~= ARGV[6] then return 0 end
redis.call('SREM', ARGV[3] .. o['NodeID'], ARGV[2])
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[2])
publish_indexed(ARGV[4], ARGV[5], bump_index(KEYS[3], 'allocs'))
return 1`;

/**
 * Heartbeat only for a registered node (a heartbeat must not resurrect a half record); the
 * caller re-registers when this returns 0 (e.g. Redis restarted empty). It renews the heartbeat
 * key and the node's deadline and publishes nothing while the node stays up: every gateway
 * receiving every heartbeat grew as nodes × gateways (the measured bend in the README), and a
 * reader learns a lapse from the key's expiry instead (SWEEP_LUA, getNode). A heartbeat that
 * brings a down node back (heartbeat key absent) changes its Status: that is published and bumps
 * the index.
 * KEYS: node, heartbeat, modify-index, deadlines. ARGV: pub, now, ttlMs, channel, change, id.
 */
export const HEARTBEAT_LUA = `${INDEX_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local was_up = redis.call('EXISTS', KEYS[2]) == 1
redis.call('HSET', KEYS[1], 'lastHeartbeat', ARGV[2], 'ttlMs', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[4], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[6])
if not was_up then
  redis.call('HSET', KEYS[1], 'statusAt', ARGV[2])
  redis.call('HDEL', KEYS[1], 'down')
  local v = bump_index(KEYS[3], 'nodes')
  redis.call('HSET', KEYS[1], 'modifyIndex', v)
  publish_indexed(ARGV[4], ARGV[5], v)
end
return 1`;

/**
 * One bucket's lapse sweep: every node whose deadline passed and whose heartbeat key is gone is
 * marked down once (as MARK_DOWN_LUA), published and dropped from the deadlines until it beats
 * again. The deadline only says where to look; the expired key decides, so a sweeper whose
 * clock runs ahead cannot call a live node down. At most ARGV[5] nodes per call.
 * KEYS: deadlines, modify-index. ARGV: pub, now, channel, key prefix of the bucket, limit.
 */
export const SWEEP_LUA = `${INDEX_LUA}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[5]))
local marked = 0
for _, id in ipairs(due) do
  local node = ARGV[4] .. 'node:' .. id
  if redis.call('EXISTS', ARGV[4] .. 'hb:' .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
    if redis.call('EXISTS', node) == 1 and redis.call('HEXISTS', node, 'down') == 0 then
      local v = bump_index(KEYS[2], 'nodes')
      redis.call('HSET', node, 'down', '1', 'statusAt', ARGV[2], 'modifyIndex', v)
      publish_indexed(ARGV[3], cjson.encode({kind = 'node', id = id}), v)
      marked = marked + 1
    end
  end
end
return marked`;

/**
 * Keep CreateIndex, bump ModifyIndex.
 * KEYS: policy, policies, index. ARGV: pub, name, json-without-indexes, channel, change.
 */
export const PUT_POLICY_LUA = `
local idx = redis.call('INCR', KEYS[3])
local created = idx
local old = redis.call('GET', KEYS[1])
if old then created = cjson.decode(old)['CreateIndex'] or idx end
local p = cjson.decode(ARGV[3])
p['CreateIndex'] = created
p['ModifyIndex'] = idx
redis.call('SET', KEYS[1], cjson.encode(p))
redis.call('SADD', KEYS[2], ARGV[2])
redis.call(ARGV[1], ARGV[4], ARGV[5])
return 1`;

/** deletePolicy. KEYS: policy, policies. ARGV: pub, name, channel, change. */
export const DELETE_POLICY_LUA = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call(ARGV[1], ARGV[3], ARGV[4])
return 1`;

/**
 * revokeToken. KEYS: revoked, revocations.
 * ARGV: pub, jti, expiresAtMs (0 = forever), now, channel, change.
 */
export const REVOKE_LUA = `
local exp = tonumber(ARGV[3])
if exp > 0 then
  redis.call('SET', KEYS[1], '1', 'PXAT', math.max(exp, tonumber(ARGV[4]) + 1))
  redis.call('ZADD', KEYS[2], exp, ARGV[2])
else
  redis.call('SET', KEYS[1], '1')
  redis.call('ZADD', KEYS[2], '+inf', ARGV[2])
end
redis.call(ARGV[1], ARGV[5], ARGV[6])
return 1`;
