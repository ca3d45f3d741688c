import type tls from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULTS } from '../config/defaults';
import type { AllocId, AllocRecord, NodeId, NodeRecord } from '../wire';
import type { AllocFilter, PolicyRecord, Registry, RegistryChange, RegistryIndex } from './registry';
import {
  HEARTBEAT_LUA,
  MARK_DOWN_LUA,
  PUT_ALLOC_LUA,
  PUT_NODE_LUA,
  PUT_POLICY_LUA,
  REMOVE_ALLOC_LUA,
  redisKeys,
  type RedisKeys,
} from './redis-keys';
import { redisTarget } from '../config/redis-target';
import { matchesFilter } from './status';

type NodeInput = Omit<NodeRecord, 'Status' | 'LastHeartbeat'>;

export interface RedisRegistryOptions {
  /** `redis://…` for one server, `redis-sentinel://h:p,h:p/<master>` for Sentinel (redis-url.ts). */
  url: string;
  prefix?: string;
  /** Per-command deadline: a request waits at most this long on a sick Redis. */
  commandTimeoutMs?: number;
  /** How long `connect` waits for the first connection before returning anyway. */
  startupWaitMs?: number;
  onError?: (err: Error) => void;
  /** CA, client certificate: used with `rediss://` and `rediss-sentinel://` URLs only. */
  tls?: tls.ConnectionOptions;
}

/** TLS for the URL's scheme: the server for rediss://, sentinels and master for rediss-sentinel://. */
const tlsOptions = (o: RedisRegistryOptions): RedisOptions => {
  const t = o.tls ?? {};
  if (o.url.startsWith('rediss://')) return { tls: t };
  if (o.url.startsWith('rediss-sentinel://'))
    return { tls: t, sentinelTLS: t, enableTLSForSentinelMode: true };
  return {};
};

/**
 * Bounded, fail-fast client settings: no offline queue, one retry, a command
 * timeout, and reconnects with capped exponential backoff forever, so the process heals by
 * itself when Redis returns.
 */
const clientOptions = (o: RedisRegistryOptions, offlineQueue: boolean): RedisOptions => ({
  maxRetriesPerRequest: 1,
  enableOfflineQueue: offlineQueue,
  commandTimeout: o.commandTimeoutMs ?? 1000,
  connectTimeout: 2000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  lazyConnect: true,
});

const parseJson = <T>(s: string | null | undefined): T | undefined => (s ? (JSON.parse(s) as T) : undefined);

/**
 * The cluster registry on Redis. Layout in redis-keys.ts. Writes that must land together go
 * through MULTI or a Lua script, and each publishes its RegistryChange on `<prefix>changes`,
 * read on a second (subscriber) connection. A node's status comes from a heartbeat key with a
 * PX expiry, so a lapsed node reads `down` the moment the key expires.
 *
 * It keeps no state of its callers: nothing it once wrote is written again behind their back
 * (that brought deleted policies back after a reconnect). Owners re-assert their own records —
 * a node re-registers when its heartbeat finds no record — and ACL state relies on Redis's own
 * persistence.
 */
export class RedisRegistry implements Registry {
  readonly keys: RedisKeys;
  private readonly listeners = new Set<(c: RegistryChange) => void>();
  private subEverReady = false;
  private closed = false;

  private constructor(
    readonly client: Redis,
    private readonly sub: Redis,
    prefix: string,
    private readonly onError: (err: Error) => void,
  ) {
    this.keys = redisKeys(prefix);
    client.on('error', (e: Error) => this.onError(e));
    sub.on('error', (e: Error) => this.onError(e));
    sub.on('ready', () => {
      // Messages published while we were away are lost: tell caches to resynchronise.
      if (this.subEverReady) this.deliver({ kind: 'resync' });
      this.subEverReady = true;
    });
    sub.on('message', (_channel: string, message: string) => {
      const change = parseJson<RegistryChange>(message);
      if (change) this.deliver(change);
    });
  }

  /** Connects both connections; returns after `startupWaitMs` even if Redis is not up yet. */
  static async connect(opts: RedisRegistryOptions): Promise<RedisRegistry> {
    const target = redisTarget(opts.url);
    const make = (o: RedisOptions) =>
      target.url
        ? new Redis(target.url, { ...target.options, ...tlsOptions(opts), ...o })
        : new Redis({ ...target.options, ...tlsOptions(opts), ...o });
    const client = make(clientOptions(opts, false));
    // The subscriber queues SUBSCRIBE until connected; ioredis re-subscribes after reconnects.
    const sub = make({ ...clientOptions(opts, true), maxRetriesPerRequest: null, commandTimeout: undefined });
    const reg = new RedisRegistry(
      client,
      sub,
      opts.prefix ?? DEFAULTS.registryPrefix,
      opts.onError ?? (() => undefined),
    );
    const wait = opts.startupWaitMs ?? 5000;
    const ready = (r: Redis) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        r.once('ready', () => {
          clearTimeout(t);
          resolve();
        });
        r.connect().catch(() => undefined);
      });
    void sub.subscribe(reg.keys.channel).catch(() => undefined);
    await Promise.all([ready(client), ready(sub)]);
    return reg;
  }

  private deliver(change: RegistryChange): void {
    for (const l of this.listeners) l(change);
  }

  private publishArgs(change: RegistryChange): [string, string] {
    return [this.keys.channel, JSON.stringify(change)];
  }

  async putNode(node: NodeInput, ttlMs: number): Promise<void> {
    const k = this.keys;
    await this.client.eval(
      PUT_NODE_LUA,
      4,
      k.node(node.ID),
      k.nodes,
      k.heartbeat(node.ID),
      k.modifyIndex,
      JSON.stringify(node),
      node.ID,
      String(Date.now()),
      String(ttlMs),
      ...this.publishArgs({ kind: 'node', id: node.ID, ttlMs }),
    );
  }

  async heartbeat(id: NodeId, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const change: RegistryChange = { kind: 'heartbeat', id, at: now, ttlMs };
    const ok = await this.client.eval(
      HEARTBEAT_LUA,
      3,
      this.keys.node(id),
      this.keys.heartbeat(id),
      this.keys.modifyIndex,
      String(now),
      String(ttlMs),
      ...this.publishArgs(change),
    );
    return ok === 1;
  }

  private toNode(h: Record<string, string>, pttl: number): NodeRecord | undefined {
    const node = parseJson<NodeInput>(h['json']);
    if (!node) return undefined;
    const last = Number(h['lastHeartbeat'] ?? 0);
    return {
      ...node,
      Status: pttl > 0 ? 'ready' : 'down',
      LastHeartbeat: last,
      StatusUpdatedAt: Number(h['statusAt'] ?? last),
    };
  }

  async markDown(id: NodeId): Promise<boolean> {
    const k = this.keys;
    const done = await this.client.eval(
      MARK_DOWN_LUA,
      3,
      k.node(id),
      k.heartbeat(id),
      k.modifyIndex,
      String(Date.now()),
      ...this.publishArgs({ kind: 'node', id }),
    );
    return done === 1;
  }

  async modifyIndex(): Promise<RegistryIndex> {
    const [nodes, allocs] = await this.client.hmget(this.keys.modifyIndex, 'nodes', 'allocs');
    return { nodes: Number(nodes ?? 0), allocs: Number(allocs ?? 0) };
  }

  async getNode(id: NodeId): Promise<NodeRecord | undefined> {
    const res = await this.client.multi().hgetall(this.keys.node(id)).pttl(this.keys.heartbeat(id)).exec();
    const [[, h], [, pttl]] = res as [[unknown, Record<string, string>], [unknown, number]];
    return this.toNode(h, pttl);
  }

  async listNodes(): Promise<NodeRecord[]> {
    const ids = (await this.client.smembers(this.keys.nodes)).sort();
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

  async putAlloc(alloc: AllocRecord): Promise<void> {
    const k = this.keys;
    await this.client.eval(
      PUT_ALLOC_LUA,
      4,
      k.alloc(alloc.ID),
      k.allocs,
      k.nodeAllocs(alloc.NodeID),
      k.modifyIndex,
      JSON.stringify(alloc),
      alloc.ID,
      k.nodeAllocsPrefix,
      ...this.publishArgs({ kind: 'alloc', id: alloc.ID }),
      String(Date.now()),
    );
  }

  async removeAlloc(id: AllocId): Promise<void> {
    const k = this.keys;
    await this.client.eval(
      REMOVE_ALLOC_LUA,
      3,
      k.alloc(id),
      k.allocs,
      k.modifyIndex,
      id,
      k.nodeAllocsPrefix,
      ...this.publishArgs({ kind: 'alloc', id }),
      String(Date.now()),
    );
  }

  async getAlloc(id: AllocId): Promise<AllocRecord | undefined> {
    return parseJson<AllocRecord>(await this.client.get(this.keys.alloc(id)));
  }

  async listAllocs(filter?: AllocFilter): Promise<AllocRecord[]> {
    const set = filter?.nodeId ? this.keys.nodeAllocs(filter.nodeId) : this.keys.allocs;
    const ids = (await this.client.smembers(set))
      .filter((id) => !filter?.prefix || id.startsWith(filter.prefix))
      .sort();
    if (ids.length === 0) return [];
    const values = await this.client.mget(ids.map((id) => this.keys.alloc(id)));
    return values.flatMap((v) => parseJson<AllocRecord>(v) ?? []).filter((a) => matchesFilter(a, filter));
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
      policy.Name,
      JSON.stringify(body),
      ...this.publishArgs({ kind: 'policy', name: policy.Name }),
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
    await this.client
      .multi()
      .del(this.keys.policy(name))
      .srem(this.keys.policies, name)
      .publish(...this.publishArgs({ kind: 'policy', name }))
      .exec();
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
    const m = this.client.multi();
    // The entry lives as long as the token could: expiry 0 means a token that never expires.
    if (expiresAtMs > 0) m.set(this.keys.revoked(jti), '1', 'PXAT', Math.max(expiresAtMs, Date.now() + 1));
    else m.set(this.keys.revoked(jti), '1');
    await m.publish(...this.publishArgs({ kind: 'revoked', jti })).exec();
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.client.exists(this.keys.revoked(jti))) === 1;
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
