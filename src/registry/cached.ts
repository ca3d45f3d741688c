import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../config/defaults';
import { errors } from '../errors';
import type { AllocId, AllocRecord, NodeId, NodeRecord } from '../wire';
import type { AllocFilter, JoinTokenRecord, PolicyRecord, Registry, RegistryChange } from './registry';

export interface CacheObserver {
  hit(kind: CacheKind): void;
  miss(kind: CacheKind): void;
  registryError(op: string): void;
}
export type CacheKind = 'alloc' | 'node' | 'policy' | 'revoked';

export interface CachedRegistryOptions {
  max?: number;
  /** TTL assumed for a node until one of its heartbeats tells the real one. */
  heartbeatTtlMs?: number;
  /**
   * After a resync, an entry the registry no longer knows keeps serving this long: a Redis that
   * restarted empty is refilled by the agents (their RedisRegistry replays its writes), and
   * requests should not fail meanwhile. Explicit removals still drop entries at once.
   */
  resyncGraceMs?: number;
  /**
   * Policies and revocations are re-read from the registry once cached this long, even without
   * a change message: pub/sub delivers at most once, and a lost invalidation must not keep a
   * revoked token or a removed grant alive for longer than this.
   */
  aclMaxAgeMs?: number;
  observer?: CacheObserver;
  now?: () => number;
}

interface Entry<T> {
  value: T;
  epoch: number;
  /** Local clock time it was read from the registry. */
  at: number;
}
interface NodeEntry extends Entry<NodeRecord> {
  /**
   * Local clock time until which the cached Status stands: for a ready node, when its heartbeat
   * key expires unless renewed; for a down node, the next re-check.
   */
  deadline: number;
}

const NOOP: CacheObserver = { hit: () => undefined, miss: () => undefined, registryError: () => undefined };
/** A node read as down is re-read at most this often (cheap on a dead node). */
const DOWN_RECHECK_MS = 500;

/**
 * The gateway's view of the registry: reads are served from bounded LRU caches that pub/sub
 * changes invalidate, and node status is computed locally from the last heartbeat seen, so a
 * steady stream of requests to one allocation makes zero Redis round trips. When Redis is
 * unreachable, cached entries keep serving and a miss fails fast with 503.
 */
export class CachedRegistry implements Registry {
  private readonly allocs: LRUCache<AllocId, Entry<AllocRecord>>;
  private readonly nodes: LRUCache<NodeId, NodeEntry>;
  private readonly policies: LRUCache<string, Entry<PolicyRecord | null>>;
  private readonly revoked: LRUCache<string, Entry<boolean>>;
  private readonly ttlByNode = new Map<NodeId, number>();
  private epoch = 0;
  /** Bumped by every invalidation: a fetch that raced one is not cached (it may be stale). */
  private gen = 0;
  private resyncAt = -Infinity;
  private readonly obs: CacheObserver;
  private readonly now: () => number;
  private readonly off: () => void;
  private readonly aclMaxAgeMs: number;

  constructor(
    private readonly inner: Registry,
    private readonly opts: CachedRegistryOptions = {},
  ) {
    const max = opts.max ?? DEFAULTS.cacheMaxEntries;
    this.allocs = new LRUCache({ max });
    this.nodes = new LRUCache({ max });
    this.policies = new LRUCache({ max: Math.min(max, 1000) });
    this.revoked = new LRUCache({ max });
    this.obs = opts.observer ?? NOOP;
    this.now = opts.now ?? Date.now;
    this.aclMaxAgeMs = opts.aclMaxAgeMs ?? DEFAULTS.aclCacheMaxAgeMs;
    this.off = inner.onChange((c) => this.apply(c));
  }

  private apply(c: RegistryChange): void {
    if (c.kind !== 'heartbeat') this.gen += 1;
    switch (c.kind) {
      case 'alloc':
        this.allocs.delete(c.id);
        return;
      case 'node':
        if (c.ttlMs) this.ttlByNode.set(c.id, c.ttlMs);
        this.nodes.delete(c.id);
        return;
      case 'heartbeat': {
        // Published only when a heartbeat brings a down node back (a live node's are silent).
        if (c.ttlMs) this.ttlByNode.set(c.id, c.ttlMs);
        const e = this.nodes.peek(c.id);
        // Local receive time, not the sender's clock: immune to clock skew between hosts.
        if (e) {
          e.deadline = this.now() + (c.ttlMs ?? this.ttlFor(c.id));
          // The change carries the index the registry stamped on the node's record.
          e.value = {
            ...e.value,
            Status: 'ready',
            LastHeartbeat: c.at,
            ...(c.index !== undefined ? { ModifyIndex: c.index } : {}),
          };
        }
        return;
      }
      case 'policy':
        this.policies.delete(c.name);
        return;
      case 'revoked':
        this.revoked.delete(c.jti);
        return;
      case 'resync':
        this.epoch += 1;
        this.resyncAt = this.now();
        // No heartbeat could be heard while the registry was away: give every node a full TTL
        // to be heard again rather than calling it down for our own outage.
        for (const [id, e] of this.nodes.entries())
          if (e.value.Status === 'ready') e.deadline = Math.max(e.deadline, this.resyncAt + this.ttlFor(id));
        return;
    }
  }

  private ttlFor(id: NodeId): number {
    return (
      this.ttlByNode.get(id) ??
      this.opts.heartbeatTtlMs ??
      DEFAULTS.heartbeatIntervalMs * DEFAULTS.heartbeatTtlFactor
    );
  }

  private async call<T>(op: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      this.obs.registryError(op);
      throw errors.registryUnavailable((e as Error).message);
    }
  }

  /** Cache-or-fetch with the stale-after-resync rule (see resyncGraceMs). */
  private async lookup<K extends string, T extends object | boolean | null>(
    kind: CacheKind,
    cache: LRUCache<K, Entry<T>>,
    key: K,
    fetch: () => Promise<T | undefined>,
    keepAbsent: boolean,
    maxAgeMs = Infinity,
  ): Promise<T | undefined> {
    const e = cache.get(key);
    if (e && e.epoch === this.epoch && this.now() - e.at < maxAgeMs) {
      this.obs.hit(kind);
      return e.value;
    }
    this.obs.miss(kind);
    const gen = this.gen;
    let fresh: T | undefined;
    try {
      fresh = await fetch();
    } catch (err) {
      if (e) return e.value; // Redis down: the last known answer beats an error.
      this.obs.registryError(`get ${kind}`);
      throw errors.registryUnavailable((err as Error).message);
    }
    if (fresh === undefined && e && this.now() - this.resyncAt < (this.opts.resyncGraceMs ?? 30_000))
      return e.value;
    if (gen !== this.gen) return fresh;
    if (fresh !== undefined || keepAbsent)
      cache.set(key, { value: fresh as T, epoch: this.epoch, at: this.now() });
    else cache.delete(key);
    return fresh;
  }

  getAlloc(id: AllocId): Promise<AllocRecord | undefined> {
    return this.lookup('alloc', this.allocs, id, () => this.inner.getAlloc(id), false);
  }

  async getPolicy(name: string): Promise<PolicyRecord | undefined> {
    const p = await this.lookup(
      'policy',
      this.policies,
      name,
      async () => (await this.inner.getPolicy(name)) ?? null,
      true,
      this.aclMaxAgeMs,
    );
    return p ?? undefined;
  }

  async isRevoked(jti: string): Promise<boolean> {
    const fetch = () => this.inner.isRevoked(jti);
    return (await this.lookup('revoked', this.revoked, jti, fetch, true, this.aclMaxAgeMs)) ?? false;
  }

  /**
   * A live node's heartbeats are not published, so a cached node holds the Status the registry
   * answered until its heartbeat key would expire (from the record's LastHeartbeat and TTL) and
   * is re-read then: one read per TTL per node looked up, instead of every gateway hearing every
   * heartbeat. A lapse inside that time arrives as the `node` change of the sweep's markDown.
   */
  async getNode(id: NodeId): Promise<NodeRecord | undefined> {
    const now = this.now();
    const e = this.nodes.get(id);
    if (e && e.epoch === this.epoch && now < e.deadline) {
      this.obs.hit('node');
      return { ...e.value };
    }
    this.obs.miss('node');
    const gen = this.gen;
    let n: NodeRecord | undefined;
    try {
      n = await this.inner.getNode(id);
    } catch (err) {
      // Registry unreachable: its last answer stands. A lapse it recorded while we could still
      // hear it would have dropped the entry (the sweep's `node` change), and a node that really
      // died meanwhile is refused by the connection itself (503 at once).
      if (e) return { ...e.value };
      this.obs.registryError('get node');
      throw errors.registryUnavailable((err as Error).message);
    }
    if (!n) {
      // A Redis restarted empty: the node re-registers within the grace; until then its last
      // known record stands. Not aged by its heartbeat deadline: an empty registry refuses a
      // node's heartbeats until it has joined again, so their silence says nothing of the node
      // (one that really died is refused by the connection itself, 503 at once).
      if (e && now - this.resyncAt < (this.opts.resyncGraceMs ?? 30_000)) return { ...e.value };
      this.nodes.delete(id);
      return undefined;
    }
    if (gen !== this.gen) return n;
    const ttl = this.ttlFor(id);
    const left = n.LastHeartbeat + ttl - now;
    // left <= 0 while the registry says ready: the clocks disagree; look again soon.
    const hold = n.Status !== 'ready' ? DOWN_RECHECK_MS : left > 0 ? Math.min(left, ttl) : DOWN_RECHECK_MS;
    this.nodes.set(id, { value: n, epoch: this.epoch, at: now, deadline: now + hold });
    return n;
  }

  // Lists and writes are rare (operator calls, agents): straight to the registry.
  listNodes = () => this.call('list nodes', () => this.inner.listNodes());
  markDown = (id: NodeId) => this.call('mark down', () => this.inner.markDown(id));
  sweepLapsed = () => this.call('sweep lapsed', () => this.inner.sweepLapsed());
  modifyIndex = () => this.call('modify index', () => this.inner.modifyIndex());
  listAllocs = (f?: AllocFilter) => this.call('list allocs', () => this.inner.listAllocs(f));
  listPolicies = () => this.call('list policies', () => this.inner.listPolicies());
  putNode = (n: Omit<NodeRecord, 'Status' | 'LastHeartbeat'>, ttl: number) =>
    this.call('put node', () => this.inner.putNode(n, ttl));
  heartbeat = (id: NodeId, ttl: number) => this.call('heartbeat', () => this.inner.heartbeat(id, ttl));
  putAlloc = (a: AllocRecord) => this.call('put alloc', () => this.inner.putAlloc(a));
  removeAlloc = (id: AllocId, owner?: NodeId) =>
    this.call('remove alloc', () => this.inner.removeAlloc(id, owner));
  putPolicy = (p: PolicyRecord) => this.call('put policy', () => this.inner.putPolicy(p));
  deletePolicy = (name: string) => this.call('delete policy', () => this.inner.deletePolicy(name));
  recordIssued = (jti: string, exp: number) => this.call('issue', () => this.inner.recordIssued(jti, exp));
  issuedExpiry = (jti: string) => this.call('issued', () => this.inner.issuedExpiry(jti));
  revokeToken = (jti: string, exp: number) => this.call('revoke', () => this.inner.revokeToken(jti, exp));
  claimBootstrap = (a: string) => this.call('bootstrap', () => this.inner.claimBootstrap(a));
  listRevoked = () => this.call('list revoked', () => this.inner.listRevoked());
  claimNodeSecret = (id: NodeId, h: string) =>
    this.call('node secret', () => this.inner.claimNodeSecret(id, h));
  nodeSecret = (id: NodeId) => this.call('node secret', () => this.inner.nodeSecret(id));
  putJoinToken = (t: JoinTokenRecord) => this.call('join token', () => this.inner.putJoinToken(t));
  getJoinToken = (a: string) => this.call('join token', () => this.inner.getJoinToken(a));
  deleteJoinToken = (a: string) => this.call('join token', () => this.inner.deleteJoinToken(a));

  onChange(listener: (change: RegistryChange) => void): () => void {
    return this.inner.onChange(listener);
  }

  async close(): Promise<void> {
    this.off();
    await this.inner.close();
  }
}
