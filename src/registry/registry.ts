import type { AllocId, AllocRecord, NodeId, NodeRecord } from '../wire';

/** A stored ACL policy: Rules is the policy document as JSON text (as Nomad takes HCL text). */
export interface PolicyRecord {
  Name: string;
  Description: string;
  Rules: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

export interface AllocFilter {
  nodeId?: NodeId;
  /** ID prefix, as Nomad's `?prefix=`. */
  prefix?: string;
  namespace?: string;
}

/**
 * What changed, published to every gateway and agent so caches drop stale entries. `index` is
 * set when the write changed what a registry read answers (see `RegistryIndex`): blocking
 * queries wake on it. `ttlMs` on a node change is the heartbeat TTL it was registered with.
 */
export type RegistryChange =
  | { kind: 'node'; id: NodeId; ttlMs?: number; index?: number }
  | { kind: 'heartbeat'; id: NodeId; at: number; ttlMs?: number; index?: number }
  | { kind: 'alloc'; id: AllocId; index?: number }
  | { kind: 'policy'; name: string }
  | { kind: 'revoked'; jti: string }
  /** Emitted locally after a lost connection came back: changes may have been missed. */
  | { kind: 'resync' };

/** The tables a registry read depends on (Nomad keeps one modify index per table). */
export type IndexTable = 'nodes' | 'allocs';

/**
 * Nomad's modify index for the registry: one counter that only grows, stamped on the table a
 * write changed. A write that leaves the answer as it was (an identical re-put, a heartbeat of a
 * ready node) does not bump it. The counter is `max(last + 1, now in ms)`, so it keeps growing
 * past every value a client holds even after Redis restarted empty.
 */
export type RegistryIndex = Record<IndexTable, number>;

/**
 * The cluster's shared state. Two implementations, Redis and memory,
 * pass one contract suite. Reads of a node compute `Status` from the heartbeat: a node whose
 * last heartbeat is older than its TTL is `down` at once.
 */
export interface Registry {
  /** Register or update a node and record a heartbeat valid for `ttlMs`. */
  putNode(node: Omit<NodeRecord, 'Status' | 'LastHeartbeat'>, ttlMs: number): Promise<void>;
  /** False when the registry holds no record of the node: its owner must register it again. */
  heartbeat(id: NodeId, ttlMs: number): Promise<boolean>;
  getNode(id: NodeId): Promise<NodeRecord | undefined>;
  listNodes(): Promise<NodeRecord[]>;
  /**
   * Record that a node's heartbeat lapsed (status `down`), bumping the index once per outage.
   * False when the node is unknown, still heartbeating, or already marked; so any number of
   * gateways may call it when they see the TTL pass.
   */
  markDown(id: NodeId): Promise<boolean>;
  /** The current modify index of each table. */
  modifyIndex(): Promise<RegistryIndex>;

  putAlloc(alloc: AllocRecord): Promise<void>;
  removeAlloc(id: AllocId): Promise<void>;
  getAlloc(id: AllocId): Promise<AllocRecord | undefined>;
  listAllocs(filter?: AllocFilter): Promise<AllocRecord[]>;

  putPolicy(policy: PolicyRecord): Promise<void>;
  getPolicy(name: string): Promise<PolicyRecord | undefined>;
  listPolicies(): Promise<PolicyRecord[]>;
  deletePolicy(name: string): Promise<void>;

  /**
   * Remember when a token issued by the ACL API expires (0 = never), so that revoking it later
   * stores the revocation only as long as the token could be used. Kept until that expiry.
   */
  recordIssued(jti: string, expiresAtMs: number): Promise<void>;
  /** The expiry recorded by `recordIssued`; undefined for a token this registry did not issue. */
  issuedExpiry(jti: string): Promise<number | undefined>;
  /** Revoke a token ID until `expiresAtMs` (0 = forever); the entry expires with the token. */
  revokeToken(jti: string, expiresAtMs: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /** Atomically claim the one-time ACL bootstrap; false when it already happened. */
  claimBootstrap(accessorId: string): Promise<boolean>;

  /** Subscribe to changes (pub/sub); returns the unsubscribe function. */
  onChange(listener: (change: RegistryChange) => void): () => void;
  close(): Promise<void>;
}
