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
/** A join token (stored hashed): lets a new node register once it presents the secret. */
export interface JoinTokenRecord {
  AccessorID: string;
  Name: string;
  /** sha256 of the secret, hex. */
  SecretHash: string;
  /** Unix ms; the record disappears then. */
  ExpiresAt: number;
}

/** A revoked token ID and when its revocation may be forgotten (0 = never). */
export interface Revocation {
  jti: string;
  expiresAtMs: number;
}

/** What changed, published to every gateway and agent so caches drop stale entries. */
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
  /**
   * `markDown` every node whose heartbeat lapsed; the number marked. Heartbeats of a live node
   * publish nothing, so this is how a lapse becomes a change: gateways call it periodically,
   * and any number of them may (each outage is recorded once).
   */
  sweepLapsed(): Promise<number>;
  /** The current modify index of each table. */
  modifyIndex(): Promise<RegistryIndex>;

  /**
   * Store an allocation. An allocation ID belongs to the first node that stores it: a record
   * naming another node is refused (returns false, nothing written) until the owner removes it.
   */
  putAlloc(alloc: AllocRecord): Promise<boolean>;
  /** Remove an allocation; with `owner`, only when that node owns it. */
  removeAlloc(id: AllocId, owner?: NodeId): Promise<void>;
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
  /** Every revocation still in force (the state gateways hand to agents). */
  listRevoked(): Promise<Revocation[]>;
  /** Atomically claim the one-time ACL bootstrap; false when it already happened. */
  claimBootstrap(accessorId: string): Promise<boolean>;

  /** Set a node's secret hash unless it has one; false when it already had one. */
  claimNodeSecret(id: NodeId, secretHash: string): Promise<boolean>;
  nodeSecret(id: NodeId): Promise<string | undefined>;
  putJoinToken(token: JoinTokenRecord): Promise<void>;
  getJoinToken(accessorId: string): Promise<JoinTokenRecord | undefined>;
  deleteJoinToken(accessorId: string): Promise<void>;

  /** Subscribe to changes (pub/sub); returns the unsubscribe function. */
  onChange(listener: (change: RegistryChange) => void): () => void;
  close(): Promise<void>;
}
