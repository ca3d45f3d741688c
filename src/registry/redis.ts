import type tls from 'node:tls';
import { DEFAULTS } from '../config/defaults';
import type { AllocId, AllocRecord, NodeId, NodeRecord } from '../wire';
import type {
  AllocFilter,
  JoinTokenRecord,
  PolicyRecord,
  Registry,
  RegistryChange,
  RegistryIndex,
  Revocation,
} from './registry';
import { createConnections, type RedisClient } from './redis-client';
import {
  BUCKETS,
  bucketOf,
  DELETE_POLICY_LUA,
  HEARTBEAT_LUA,
  MARK_DOWN_LUA,
  PUT_ALLOC_LUA,
  PUT_NODE_LUA,
  PUT_POLICY_LUA,
  REMOVE_ALLOC_LUA,
  REVOKE_LUA,
  SWEEP_LUA,
  redisKeys,
  type RedisKeys,
} from './redis-keys';
import { matchesFilter, withoutStamps } from './status';

type NodeInput = Omit<NodeRecord, 'Status' | 'LastHeartbeat'>;

/** A stamp field as a number (absent on records stored before stamps existed: 0). */
const stamp = (v: string | null | undefined): number => Number(v ?? 0) || 0;

export interface RedisRegistryOptions {
  /**
   * `redis://…` for one server, `redis-sentinel://h:p,h:p/<master>` for Sentinel,
   * `redis-cluster://h:p,h:p` for Redis Cluster (config/redis-target.ts).
   */
  url: string;
  prefix?: string;
  /** Per-command deadline: a request waits at most this long on a sick Redis. */
  commandTimeoutMs?: number;
  /** How long `connect` waits for the first connection before returning anyway. */
  startupWaitMs?: number;
  onError?: (err: Error) => void;
  /** CA, client certificate: used with the `rediss…` URL forms only. */
  tls?: tls.ConnectionOptions;
}

const parseJson = <T>(s: string | null | undefined): T | undefined => (s ? (JSON.parse(s) as T) : undefined);

/** The buckets a list of allocations must read: one when the ID prefix names it, else all. */
const allocBuckets = (prefix: string | undefined): string[] =>
  prefix && BUCKETS.includes(prefix.charAt(0).toLowerCase())
    ? [prefix.charAt(0).toLowerCase()]
    : [...BUCKETS];

/**
 * The cluster registry on Redis: one server, Sentinel or Redis Cluster, one key layout
 * (redis-keys.ts). Writes that must land together go through a Lua script or MULTI on the keys
 * of one bucket (one slot), and each publishes its RegistryChange on the bucket's channel, read on
 * a second (subscriber) connection: plain pub/sub on one server, sharded pub/sub on a cluster
 * (a message goes only to the subscribers connected to the bucket's shard, instead of being
 * broadcast over the cluster bus to every node). A node's status comes from a heartbeat key with
 * a PX expiry, so a lapsed node reads `down` the moment the key expires.
 *
 * It keeps no state of its callers: nothing it once wrote is written again behind their back
 * (that brought deleted policies back after a reconnect). Owners re-assert their own records —
 * a node re-registers when its heartbeat finds no record — and ACL state relies on Redis's own
 * persistence.
 */
export class RedisRegistry implements Registry {
  readonly keys: RedisKeys;
  private readonly listeners = new Set<(c: RegistryChange) => void>();
  private closed = false;
  /** PUBLISH, or SPUBLISH on a cluster (the scripts take it as their first argument). */
  private readonly pub: string;

  private constructor(
    readonly client: RedisClient,
    private readonly sub: RedisClient,
    readonly cluster: boolean,
    prefix: string,
    private readonly onError: (err: Error) => void,
  ) {
    this.keys = redisKeys(prefix);
    this.pub = cluster ? 'SPUBLISH' : 'PUBLISH';
    client.on('error', (e: Error) => this.onError(e));
    sub.on('error', (e: Error) => this.onError(e));
    // A connection that is ready again after the first time has been away: messages published
    // meanwhile are lost, and the Redis it reached may have restarted empty — tell caches to
    // resynchronise. Either connection can come back first (under load the command connection
    // often does, and its first answer from an empty Redis must already be read as a restart).
    const onReturn = () => {
      let ever = false;
      return () => {
        if (ever) this.deliver({ kind: 'resync' });
        ever = true;
      };
    };
    const resynced = onReturn();
    client.on('ready', onReturn());
    const onMessage = (_channel: string, message: string) => {
      const change = parseJson<RegistryChange>(message);
      if (change) this.deliver(change);
    };
    if (cluster) {
      // ioredis re-subscribes every shard after the slot map changed (a failover) and then
      // says so once; the first time is the initial subscription.
      sub.on('subscribersReady', resynced);
      sub.on('smessage', onMessage);
    } else {
      sub.on('ready', resynced);
      sub.on('message', onMessage);
    }
  }

  /** Connects both connections; returns after `startupWaitMs` even if Redis is not up yet. */
  static async connect(opts: RedisRegistryOptions): Promise<RedisRegistry> {
    const { client, sub, cluster } = createConnections(opts);
    const reg = new RedisRegistry(
      client,
      sub,
      cluster,
      opts.prefix ?? DEFAULTS.registryPrefix,
      opts.onError ?? (() => undefined),
    );
    const wait = opts.startupWaitMs ?? 5000;
    const ready = (r: RedisClient) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        r.once('ready', () => {
          clearTimeout(t);
          resolve();
        });
        r.connect().catch(() => undefined);
      });
    sub.connect().catch(() => undefined);
    const channels = reg.keys.channels();
    // SSUBSCRIBE takes channels of one slot per call: one call per bucket channel.
    const subscribed = cluster
      ? Promise.all(channels.map((ch) => sub.ssubscribe(ch)))
      : sub.subscribe(...channels);
    // Changes published before the subscriptions hold would be missed: wait for them too.
    const settled = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, wait);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      subscribed.then(done, done);
    });
    await Promise.all([ready(client), settled]);
    return reg;
  }

  private deliver(change: RegistryChange): void {
    for (const l of this.listeners) l(change);
  }

  /** The script arguments that publish `change` on `channel`: command, channel, message. */
  private pubArgs(channel: string, change: RegistryChange): [string, string, string] {
    return [this.pub, channel, JSON.stringify(change)];
  }

  async putNode(input: NodeInput, ttlMs: number): Promise<void> {
    const node = withoutStamps(input);
    const k = this.keys;
    const b = bucketOf(node.ID);
    const [pub, channel, change] = this.pubArgs(k.nodeChannel(b), { kind: 'node', id: node.ID, ttlMs });
    await this.client.eval(
      PUT_NODE_LUA,
      5,
      k.node(node.ID),
      k.nodes(b),
      k.heartbeat(node.ID),
      k.nodeIndex(b),
      k.deadlines(b),
      pub,
      JSON.stringify(node),
      node.ID,
      String(Date.now()),
      String(ttlMs),
      channel,
      change,
    );
  }

  async heartbeat(id: NodeId, ttlMs: number): Promise<boolean> {
    const k = this.keys;
    const b = bucketOf(id);
    const now = Date.now();
    const [pub, channel, change] = this.pubArgs(k.nodeChannel(b), { kind: 'heartbeat', id, at: now, ttlMs });
    const ok = await this.client.eval(
      HEARTBEAT_LUA,
      4,
      k.node(id),
      k.heartbeat(id),
      k.nodeIndex(b),
      k.deadlines(b),
      pub,
      String(now),
      String(ttlMs),
      channel,
      change,
      id,
    );
    return ok === 1;
  }

  private toNode(h: Record<string, string> | undefined, pttl: number): NodeRecord | undefined {
    const node = parseJson<NodeInput>(h?.['json']);
    if (!node) return undefined;
    const last = Number(h!['lastHeartbeat'] ?? 0);
    return {
      ...node,
      Status: pttl > 0 ? 'ready' : 'down',
      LastHeartbeat: last,
      StatusUpdatedAt: Number(h!['statusAt'] ?? last),
      CreateIndex: stamp(h!['createIndex']),
      ModifyIndex: stamp(h!['modifyIndex']),
    };
  }

  async markDown(id: NodeId): Promise<boolean> {
    const k = this.keys;
    const b = bucketOf(id);
    const [pub, channel, change] = this.pubArgs(k.nodeChannel(b), { kind: 'node', id });
    const done = await this.client.eval(
      MARK_DOWN_LUA,
      4,
      k.node(id),
      k.heartbeat(id),
      k.nodeIndex(b),
      k.deadlines(b),
      pub,
      String(Date.now()),
      channel,
      change,
      id,
    );
    return done === 1;
  }

  /** One sweep script per node bucket (each on its own slot); the number of nodes marked down. */
  async sweepLapsed(): Promise<number> {
    const k = this.keys;
    const now = String(Date.now());
    const marked = await Promise.all(
      [...BUCKETS].map((b) =>
        this.client.eval(
          SWEEP_LUA,
          2,
          k.deadlines(b),
          k.nodeIndex(b),
          this.pub,
          now,
          k.nodeChannel(b),
          k.nodeBucket(b),
          '500',
        ),
      ),
    );
    return marked.reduce<number>((a, m) => a + Number(m), 0);
  }

  /** Each table's index is the highest its buckets were stamped with (redis-keys.ts). */
  async modifyIndex(): Promise<RegistryIndex> {
    const k = this.keys;
    const [nodes, allocs] = await Promise.all([
      Promise.all([...BUCKETS].map((b) => this.client.hget(k.nodeIndex(b), 'nodes'))),
      Promise.all([...BUCKETS].map((b) => this.client.hget(k.allocIndex(b), 'allocs'))),
    ]);
    const max = (vs: (string | null)[]) => Math.max(0, ...vs.map((v) => Number(v ?? 0)));
    return { nodes: max(nodes), allocs: max(allocs) };
  }

  async getNode(id: NodeId): Promise<NodeRecord | undefined> {
    const res = await this.client.multi().hgetall(this.keys.node(id)).pttl(this.keys.heartbeat(id)).exec();
    const [[, h], [, pttl]] = res as [[unknown, Record<string, string>], [unknown, number]];
    return this.toNode(h, pttl);
  }

  async listNodes(): Promise<NodeRecord[]> {
    const perBucket = await Promise.all([...BUCKETS].map((b) => this.listNodeBucket(b)));
    return perBucket.flat().sort((x, y) => x.ID.localeCompare(y.ID));
  }

  /** One bucket's nodes: its member set, then one MULTI over its records (one slot). */
  private async listNodeBucket(b: string): Promise<NodeRecord[]> {
    const ids = await this.client.smembers(this.keys.nodes(b));
    if (ids.length === 0) return [];
    const m = this.client.multi();
    for (const id of ids) m.hgetall(this.keys.node(id)).pttl(this.keys.heartbeat(id));
    const res = (await m.exec()) ?? [];
    const out: NodeRecord[] = [];
    for (let i = 0; i < ids.length; i++) {
      const n = this.toNode(res[2 * i]?.[1] as Record<string, string>, res[2 * i + 1]?.[1] as number);
      if (n) out.push(n);
    }
    return out;
  }

  async putAlloc(input: AllocRecord): Promise<boolean> {
    const alloc = withoutStamps(input);
    const k = this.keys;
    const b = bucketOf(alloc.ID);
    const [pub, channel, change] = this.pubArgs(k.allocChannel(b), { kind: 'alloc', id: alloc.ID });
    const stored = await this.client.eval(
      PUT_ALLOC_LUA,
      5,
      k.alloc(alloc.ID),
      k.allocs(b),
      k.nodeAllocs(b, alloc.NodeID),
      k.allocIndex(b),
      k.allocStamp(alloc.ID),
      pub,
      JSON.stringify(alloc),
      alloc.ID,
      k.nodeAllocs(b, ''),
      channel,
      change,
      alloc.NodeID,
    );
    return stored === 1;
  }

  async removeAlloc(id: AllocId, owner?: NodeId): Promise<void> {
    const k = this.keys;
    const b = bucketOf(id);
    const [pub, channel, change] = this.pubArgs(k.allocChannel(b), { kind: 'alloc', id });
    await this.client.eval(
      REMOVE_ALLOC_LUA,
      4,
      k.alloc(id),
      k.allocs(b),
      k.allocIndex(b),
      k.allocStamp(id),
      pub,
      id,
      k.nodeAllocs(b, ''),
      channel,
      change,
      owner ?? '',
    );
  }

  async getAlloc(id: AllocId): Promise<AllocRecord | undefined> {
    const res = await this.client
      .multi()
      .get(this.keys.alloc(id))
      .hmget(this.keys.allocStamp(id), 'create', 'modify')
      .exec();
    return this.toAlloc(res?.[0]?.[1] as string | null, res?.[1]?.[1] as (string | null)[] | undefined);
  }

  private toAlloc(
    json: string | null | undefined,
    s: (string | null)[] | undefined,
  ): AllocRecord | undefined {
    const a = parseJson<AllocRecord>(json);
    return a && { ...a, CreateIndex: stamp(s?.[0]), ModifyIndex: stamp(s?.[1]) };
  }

  async listAllocs(filter?: AllocFilter): Promise<AllocRecord[]> {
    const perBucket = await Promise.all(
      allocBuckets(filter?.prefix).map((b) => this.listAllocBucket(b, filter)),
    );
    return perBucket
      .flat()
      .sort((x, y) => x.ID.localeCompare(y.ID))
      .filter((a) => matchesFilter(a, filter));
  }

  /** One bucket's allocations (of one node, with `nodeId`): a set, then one MULTI (one slot). */
  private async listAllocBucket(b: string, filter?: AllocFilter): Promise<AllocRecord[]> {
    const set = filter?.nodeId ? this.keys.nodeAllocs(b, filter.nodeId) : this.keys.allocs(b);
    const ids = (await this.client.smembers(set)).filter(
      (id) => !filter?.prefix || id.startsWith(filter.prefix),
    );
    if (ids.length === 0) return [];
    // One MULTI on the bucket's slot: each record with its index stamp.
    const m = this.client.multi();
    for (const id of ids) m.get(this.keys.alloc(id)).hmget(this.keys.allocStamp(id), 'create', 'modify');
    const res = (await m.exec()) ?? [];
    return ids.flatMap((_, i) => {
      const a = this.toAlloc(res[2 * i]?.[1] as string | null, res[2 * i + 1]?.[1] as (string | null)[]);
      return a ? [a] : [];
    });
  }

  async putPolicy(policy: PolicyRecord): Promise<void> {
    const k = this.keys;
    const body = { Name: policy.Name, Description: policy.Description, Rules: policy.Rules };
    await this.client.eval(
      PUT_POLICY_LUA,
      3,
      k.policy(policy.Name),
      k.policies,
      k.policyIndex,
      this.pub,
      policy.Name,
      JSON.stringify(body),
      ...this.pubArgs(k.aclChannel, { kind: 'policy', name: policy.Name }).slice(1),
    );
  }

  async getPolicy(name: string): Promise<PolicyRecord | undefined> {
    return parseJson<PolicyRecord>(await this.client.get(this.keys.policy(name)));
  }

  async listPolicies(): Promise<PolicyRecord[]> {
    const names = (await this.client.smembers(this.keys.policies)).sort();
    if (names.length === 0) return [];
    const values = await this.client.mget(names.map((n) => this.keys.policy(n)));
    return values.flatMap((v) => parseJson<PolicyRecord>(v) ?? []);
  }

  async deletePolicy(name: string): Promise<void> {
    const k = this.keys;
    const [pub, channel, change] = this.pubArgs(k.aclChannel, { kind: 'policy', name });
    await this.client.eval(DELETE_POLICY_LUA, 2, k.policy(name), k.policies, pub, name, channel, change);
  }

  async recordIssued(jti: string, expiresAtMs: number): Promise<void> {
    if (expiresAtMs > 0)
      await this.client.set(
        this.keys.issued(jti),
        String(expiresAtMs),
        'PXAT',
        Math.max(expiresAtMs, Date.now() + 1),
      );
    else await this.client.set(this.keys.issued(jti), '0');
  }

  async issuedExpiry(jti: string): Promise<number | undefined> {
    const v = await this.client.get(this.keys.issued(jti));
    return v === null ? undefined : Number(v);
  }

  async revokeToken(jti: string, expiresAtMs: number): Promise<void> {
    const k = this.keys;
    // The entry lives as long as the token could: expiry 0 means a token that never expires.
    const [pub, channel, change] = this.pubArgs(k.aclChannel, { kind: 'revoked', jti });
    await this.client.eval(
      REVOKE_LUA,
      2,
      k.revoked(jti),
      k.revocations,
      pub,
      jti,
      String(expiresAtMs),
      String(Date.now()),
      channel,
      change,
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.client.exists(this.keys.revoked(jti))) === 1;
  }

  async listRevoked(): Promise<Revocation[]> {
    const k = this.keys.revocations;
    const res = await this.client
      .multi()
      .zremrangebyscore(k, '-inf', Date.now())
      .zrange(k, 0, -1, 'WITHSCORES')
      .exec();
    const flat = (res?.[1]?.[1] as string[] | undefined) ?? [];
    const out: Revocation[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      out.push({ jti: flat[i]!, expiresAtMs: flat[i + 1] === 'inf' ? 0 : Number(flat[i + 1]) });
    return out;
  }

  async claimNodeSecret(id: NodeId, secretHash: string): Promise<boolean> {
    return (await this.client.set(this.keys.nodeSecret(id), secretHash, 'NX')) === 'OK';
  }

  async nodeSecret(id: NodeId): Promise<string | undefined> {
    return (await this.client.get(this.keys.nodeSecret(id))) ?? undefined;
  }

  async putJoinToken(t: JoinTokenRecord): Promise<void> {
    await this.client.set(
      this.keys.joinToken(t.AccessorID),
      JSON.stringify(t),
      'PXAT',
      Math.max(t.ExpiresAt, Date.now() + 1),
    );
  }

  async getJoinToken(accessorId: string): Promise<JoinTokenRecord | undefined> {
    return parseJson<JoinTokenRecord>(await this.client.get(this.keys.joinToken(accessorId)));
  }

  async deleteJoinToken(accessorId: string): Promise<void> {
    await this.client.del(this.keys.joinToken(accessorId));
  }

  async claimBootstrap(accessorId: string): Promise<boolean> {
    return (await this.client.set(this.keys.bootstrap, accessorId, 'NX')) === 'OK';
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.sub.disconnect();
    this.client.disconnect();
  }
}
