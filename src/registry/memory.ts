import type { AllocId, AllocRecord, NodeId, NodeRecord } from '../wire';
import type {
  AllocFilter,
  IndexTable,
  JoinTokenRecord,
  PolicyRecord,
  Registry,
  RegistryChange,
  RegistryIndex,
  Revocation,
} from './registry';
import { matchesFilter, nextIndex, statusAt, withoutStamps } from './status';

type NodeInput = Omit<NodeRecord, 'Status' | 'LastHeartbeat'>;

interface StoredNode {
  node: NodeInput;
  lastHeartbeat: number;
  ttlMs: number;
  /** When Status last changed; `markedDown` once markDown recorded the current outage. */
  statusAt: number;
  markedDown: boolean;
  /** The node index of its first and last change (as the Redis scripts stamp them). */
  createIndex: number;
  modifyIndex: number;
}

interface StoredAlloc {
  alloc: AllocRecord;
  createIndex: number;
  modifyIndex: number;
}

export interface MemoryRegistryOptions {
  /** Injectable clock so tests can make a heartbeat lapse without sleeping. */
  now?: () => number;
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * The single-process registry of `fleetgate dev` (and unit tests). Same contract as the Redis
 * one: it passes the shared suite in test/unit/registry/contract.ts. Changes are delivered on
 * a microtask, like pub/sub messages arrive after the write resolves.
 */
export class MemoryRegistry implements Registry {
  private readonly nodes = new Map<NodeId, StoredNode>();
  private readonly allocs = new Map<AllocId, StoredAlloc>();
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly revoked = new Map<string, number>();
  /** Expiry (ms, 0 = never) of each token the ACL API issued, by jti. */
  private readonly issued = new Map<string, number>();
  private readonly listeners = new Set<(c: RegistryChange) => void>();
  private readonly nodeSecrets = new Map<NodeId, string>();
  private readonly joinTokens = new Map<string, JoinTokenRecord>();
  private bootstrapped: string | undefined;
  private policyIndex = 0;
  private readonly index = { last: 0, nodes: 0, allocs: 0 };
  private readonly now: () => number;

  constructor(opts: MemoryRegistryOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  private emit(change: RegistryChange): void {
    queueMicrotask(() => {
      for (const l of this.listeners) l(change);
    });
  }

  /** The modify index rule of RegistryIndex, on one table; returns `{ index }` to spread into a change. */
  private bumpIndex(table: IndexTable): { index: number } {
    this.index.last = nextIndex(this.index.last, this.now());
    this.index[table] = this.index.last;
    return { index: this.index.last };
  }

  private isUp(s: StoredNode | undefined): boolean {
    return s !== undefined && statusAt(s.lastHeartbeat, s.ttlMs, this.now()) === 'ready';
  }

  private view(s: StoredNode): NodeRecord {
    return {
      ...clone(s.node),
      Status: statusAt(s.lastHeartbeat, s.ttlMs, this.now()),
      LastHeartbeat: s.lastHeartbeat,
      StatusUpdatedAt: s.statusAt,
      CreateIndex: s.createIndex,
      ModifyIndex: s.modifyIndex,
    };
  }

  private allocView(s: StoredAlloc): AllocRecord {
    return { ...clone(s.alloc), CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex };
  }

  async putNode(input: NodeInput, ttlMs: number): Promise<void> {
    const node = withoutStamps(input);
    const prev = this.nodes.get(node.ID);
    const wasUp = this.isUp(prev);
    const changed = !wasUp || JSON.stringify(prev!.node) !== JSON.stringify(node);
    const now = this.now();
    const bumped = changed ? this.bumpIndex('nodes') : undefined;
    const modifyIndex = bumped?.index ?? prev?.modifyIndex ?? 0;
    this.nodes.set(node.ID, {
      node: clone(node),
      lastHeartbeat: now,
      ttlMs,
      statusAt: wasUp ? prev!.statusAt : now,
      markedDown: false,
      createIndex: prev?.createIndex || modifyIndex,
      modifyIndex,
    });
    this.emit({ kind: 'node', id: node.ID, ttlMs, ...bumped });
  }

  async heartbeat(id: NodeId, ttlMs: number): Promise<boolean> {
    const s = this.nodes.get(id);
    if (!s) return false;
    const wasUp = this.isUp(s);
    s.lastHeartbeat = this.now();
    s.ttlMs = ttlMs;
    if (!wasUp) {
      s.statusAt = s.lastHeartbeat;
      s.markedDown = false;
    }
    // Only a status change is published (see HEARTBEAT_LUA in redis-keys.ts for why).
    if (!wasUp) {
      const bumped = this.bumpIndex('nodes');
      s.modifyIndex = bumped.index;
      this.emit({ kind: 'heartbeat', id, at: s.lastHeartbeat, ttlMs, ...bumped });
    }
    return true;
  }

  async markDown(id: NodeId): Promise<boolean> {
    const s = this.nodes.get(id);
    if (!s || this.isUp(s) || s.markedDown) return false;
    s.markedDown = true;
    s.statusAt = this.now();
    const bumped = this.bumpIndex('nodes');
    s.modifyIndex = bumped.index;
    this.emit({ kind: 'node', id, ...bumped });
    return true;
  }

  async sweepLapsed(): Promise<number> {
    let marked = 0;
    for (const id of [...this.nodes.keys()]) if (await this.markDown(id)) marked += 1;
    return marked;
  }

  async modifyIndex(): Promise<RegistryIndex> {
    return { nodes: this.index.nodes, allocs: this.index.allocs };
  }

  async getNode(id: NodeId): Promise<NodeRecord | undefined> {
    const s = this.nodes.get(id);
    return s && this.view(s);
  }

  async listNodes(): Promise<NodeRecord[]> {
    return [...this.nodes.values()].map((s) => this.view(s)).sort((a, b) => a.ID.localeCompare(b.ID));
  }

  async putAlloc(input: AllocRecord): Promise<boolean> {
    const alloc = withoutStamps(input) as AllocRecord;
    const prev = this.allocs.get(alloc.ID);
    if (prev && prev.alloc.NodeID !== alloc.NodeID) return false;
    const changed = JSON.stringify(prev?.alloc) !== JSON.stringify(alloc);
    const bumped = changed ? this.bumpIndex('allocs') : undefined;
    const modifyIndex = bumped?.index ?? prev?.modifyIndex ?? 0;
    this.allocs.set(alloc.ID, {
      alloc: clone(alloc),
      createIndex: prev?.createIndex || modifyIndex,
      modifyIndex,
    });
    this.emit({ kind: 'alloc', id: alloc.ID, ...bumped });
    return true;
  }

  async removeAlloc(id: AllocId, owner?: NodeId): Promise<void> {
    const old = this.allocs.get(id);
    if (!old || (owner !== undefined && old.alloc.NodeID !== owner)) return;
    this.allocs.delete(id);
    this.emit({ kind: 'alloc', id, ...this.bumpIndex('allocs') });
  }

  async getAlloc(id: AllocId): Promise<AllocRecord | undefined> {
    const a = this.allocs.get(id);
    return a && this.allocView(a);
  }

  async listAllocs(filter?: AllocFilter): Promise<AllocRecord[]> {
    return [...this.allocs.values()]
      .filter((a) => matchesFilter(a.alloc, filter))
      .map((a) => this.allocView(a))
      .sort((a, b) => a.ID.localeCompare(b.ID));
  }

  async putPolicy(policy: PolicyRecord): Promise<void> {
    const prev = this.policies.get(policy.Name);
    this.policyIndex += 1;
    this.policies.set(policy.Name, {
      ...clone(policy),
      CreateIndex: prev?.CreateIndex ?? this.policyIndex,
      ModifyIndex: this.policyIndex,
    });
    this.emit({ kind: 'policy', name: policy.Name });
  }

  async getPolicy(name: string): Promise<PolicyRecord | undefined> {
    const p = this.policies.get(name);
    return p && clone(p);
  }

  async listPolicies(): Promise<PolicyRecord[]> {
    return [...this.policies.values()].map(clone).sort((a, b) => a.Name.localeCompare(b.Name));
  }

  async deletePolicy(name: string): Promise<void> {
    if (this.policies.delete(name)) this.emit({ kind: 'policy', name });
  }

  async recordIssued(jti: string, expiresAtMs: number): Promise<void> {
    this.issued.set(jti, expiresAtMs);
  }

  async issuedExpiry(jti: string): Promise<number | undefined> {
    const exp = this.issued.get(jti);
    if (exp !== undefined && exp !== 0 && exp <= this.now()) {
      this.issued.delete(jti);
      return undefined;
    }
    return exp;
  }

  async revokeToken(jti: string, expiresAtMs: number): Promise<void> {
    this.revoked.set(jti, expiresAtMs);
    this.emit({ kind: 'revoked', jti });
  }

  async isRevoked(jti: string): Promise<boolean> {
    const exp = this.revoked.get(jti);
    if (exp === undefined) return false;
    if (exp !== 0 && exp <= this.now()) {
      this.revoked.delete(jti);
      return false;
    }
    return true;
  }

  async listRevoked(): Promise<Revocation[]> {
    const out: Revocation[] = [];
    for (const jti of [...this.revoked.keys()])
      if (await this.isRevoked(jti)) out.push({ jti, expiresAtMs: this.revoked.get(jti)! });
    return out;
  }

  async claimNodeSecret(id: NodeId, secretHash: string): Promise<boolean> {
    if (this.nodeSecrets.has(id)) return false;
    this.nodeSecrets.set(id, secretHash);
    return true;
  }

  async nodeSecret(id: NodeId): Promise<string | undefined> {
    return this.nodeSecrets.get(id);
  }

  async putJoinToken(t: JoinTokenRecord): Promise<void> {
    this.joinTokens.set(t.AccessorID, clone(t));
  }

  async getJoinToken(accessorId: string): Promise<JoinTokenRecord | undefined> {
    const t = this.joinTokens.get(accessorId);
    if (t && t.ExpiresAt <= this.now()) {
      this.joinTokens.delete(accessorId);
      return undefined;
    }
    return t && clone(t);
  }

  async deleteJoinToken(accessorId: string): Promise<void> {
    this.joinTokens.delete(accessorId);
  }

  async claimBootstrap(accessorId: string): Promise<boolean> {
    if (this.bootstrapped !== undefined) return false;
    this.bootstrapped = accessorId;
    return true;
  }

  onChange(listener: (change: RegistryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
