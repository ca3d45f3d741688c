/**
 * Every Redis key and the pub/sub channel, under one prefix (`--registry-prefix`), so two
 * clusters can share a Redis and an operator can find (or delete) everything with `prefix*`.
 */
export const redisKeys = (prefix: string) => ({
  node: (id: string) => `${prefix}node:${id}`,
  /** Exists (with a PX expiry) exactly while the node's heartbeat is fresh. */
  heartbeat: (id: string) => `${prefix}hb:${id}`,
  nodes: `${prefix}nodes`,
  alloc: (id: string) => `${prefix}alloc:${id}`,
  allocs: `${prefix}allocs`,
  nodeAllocsPrefix: `${prefix}node-allocs:`,
  nodeAllocs: (nodeId: string) => `${prefix}node-allocs:${nodeId}`,
  policy: (name: string) => `${prefix}policy:${name}`,
  policies: `${prefix}policies`,
  policyIndex: `${prefix}policy-index`,
  revoked: (jti: string) => `${prefix}revoked:${jti}`,
  /** The expiry of a token the ACL API issued (lives as long as the token). */
  issued: (jti: string) => `${prefix}issued:${jti}`,
  bootstrap: `${prefix}acl-bootstrap`,
  /** Hash: `last` (the counter) and, per table, the value stamped by its last change. */
  modifyIndex: `${prefix}modify-index`,
  channel: `${prefix}changes`,
});
export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * Lua helpers of the registry's modify index (RegistryIndex in registry.ts), prepended to every
 * script that can change what a registry read answers. `bump_index` applies the
 * `max(last + 1, now)` rule and stamps the table; `publish_indexed` adds `"index":N` to the change
 * (a JSON object) so blocking queries on every gateway wake without asking Redis.
 */
const INDEX_LUA = `
local function bump_index(key, tbl, now)
  local last = tonumber(redis.call('HGET', key, 'last') or '0')
  local v = string.format('%d', math.max(last + 1, tonumber(now)))
  redis.call('HSET', key, 'last', v, tbl, v)
  return v
end
local function publish_indexed(channel, change, v)
  redis.call('PUBLISH', channel, string.sub(change, 1, -2) .. ',"index":' .. v .. '}')
end
`;

/**
 * putNode in one step: write the record, index it, set its heartbeat key. The index is bumped
 * when the record changed or the node comes back from down (heartbeat key absent).
 * KEYS: node, nodes, heartbeat, modify-index. ARGV: json, id, now, ttlMs, channel, change.
 */
export const PUT_NODE_LUA = `${INDEX_LUA}
local old = redis.call('HGET', KEYS[1], 'json')
local was_up = redis.call('EXISTS', KEYS[3]) == 1
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'lastHeartbeat', ARGV[3], 'ttlMs', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[4])
if not was_up then
  redis.call('HSET', KEYS[1], 'statusAt', ARGV[3])
  redis.call('HDEL', KEYS[1], 'down')
end
if old ~= ARGV[1] or not was_up then
  publish_indexed(ARGV[5], ARGV[6], bump_index(KEYS[4], 'nodes', ARGV[3]))
else
  redis.call('PUBLISH', ARGV[5], ARGV[6])
end
return 1`;

/**
 * markDown: once per outage, only when the heartbeat key has expired (Redis never returns an
 * expired key, so this cannot call a live node down).
 * KEYS: node, heartbeat, modify-index. ARGV: now, channel, change.
 */
export const MARK_DOWN_LUA = `${INDEX_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'down') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'down', '1', 'statusAt', ARGV[1])
publish_indexed(ARGV[2], ARGV[3], bump_index(KEYS[3], 'nodes', ARGV[1]))
return 1`;

/**
 * putAlloc in one step: write the record and move its id between per-node index sets (the old
 * node's set is read from the stored record), then publish. Atomic, so a reader never sees
 * an alloc indexed under two nodes or a change published before the write.
 * The index is bumped only when the stored JSON changed.
 * KEYS: alloc, allocs, new node-allocs, modify-index.
 * ARGV: json, id, node-allocs prefix, channel, change, now.
 */
export const PUT_ALLOC_LUA = `${INDEX_LUA}
local old = redis.call('GET', KEYS[1])
if old then
  local o = cjson.decode(old)
  redis.call('SREM', ARGV[3] .. o['NodeID'], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
if old ~= ARGV[1] then
  publish_indexed(ARGV[4], ARGV[5], bump_index(KEYS[4], 'allocs', ARGV[6]))
else
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return 1`;

/** KEYS: alloc, allocs, modify-index. ARGV: id, node-allocs prefix, channel, change, now. */
export const REMOVE_ALLOC_LUA = `${INDEX_LUA}
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local o = cjson.decode(old)
redis.call('SREM', ARGV[2] .. o['NodeID'], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
publish_indexed(ARGV[3], ARGV[4], bump_index(KEYS[3], 'allocs', ARGV[5]))
return 1`;

/**
 * Heartbeat only for a registered node (a heartbeat must not resurrect a half record); the
 * caller re-registers when this returns 0 (e.g. Redis restarted empty). A heartbeat that brings
 * a down node back (heartbeat key absent) changes its Status: that bumps the index.
 * KEYS: node, heartbeat, modify-index. ARGV: now, ttlMs, channel, change.
 */
export const HEARTBEAT_LUA = `${INDEX_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local was_up = redis.call('EXISTS', KEYS[2]) == 1
redis.call('HSET', KEYS[1], 'lastHeartbeat', ARGV[1], 'ttlMs', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if was_up then
  redis.call('PUBLISH', ARGV[3], ARGV[4])
else
  redis.call('HSET', KEYS[1], 'statusAt', ARGV[1])
  redis.call('HDEL', KEYS[1], 'down')
  publish_indexed(ARGV[3], ARGV[4], bump_index(KEYS[3], 'nodes', ARGV[1]))
end
return 1`;

/** Keep CreateIndex, bump ModifyIndex. KEYS: policy, policies, index. ARGV: name, json-without-indexes, channel, change. */
export const PUT_POLICY_LUA = `
local idx = redis.call('INCR', KEYS[3])
local created = idx
local old = redis.call('GET', KEYS[1])
if old then created = cjson.decode(old)['CreateIndex'] or idx end
local p = cjson.decode(ARGV[2])
p['CreateIndex'] = created
p['ModifyIndex'] = idx
redis.call('SET', KEYS[1], cjson.encode(p))
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;
