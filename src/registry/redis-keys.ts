/**
 * Every Redis key and the pub/sub channel, under one prefix (design.md "Registry"), so two
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
  channel: `${prefix}changes`,
});
export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * putAlloc in one step: write the record and move its id between per-node index sets (the old
 * node's set is read from the stored record), then publish. Atomic, so a reader never sees
 * an alloc indexed under two nodes or a change published before the write.
 * KEYS: alloc, allocs, new node-allocs. ARGV: json, id, node-allocs prefix, channel, change.
 */
export const PUT_ALLOC_LUA = `
local old = redis.call('GET', KEYS[1])
if old then
  local o = cjson.decode(old)
  redis.call('SREM', ARGV[3] .. o['NodeID'], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`;

/** KEYS: alloc, allocs. ARGV: id, node-allocs prefix, channel, change. */
export const REMOVE_ALLOC_LUA = `
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local o = cjson.decode(old)
redis.call('SREM', ARGV[2] .. o['NodeID'], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/**
 * Heartbeat only for a registered node (a heartbeat must not resurrect a half record); the
 * caller re-registers when this returns 0 (e.g. Redis restarted empty).
 * KEYS: node, heartbeat. ARGV: now, ttlMs, channel, change.
 */
export const HEARTBEAT_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lastHeartbeat', ARGV[1], 'ttlMs', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
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
