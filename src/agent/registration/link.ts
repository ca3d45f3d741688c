import type { AclSnapshot } from '../../acl/state-feed';
import type { AllocId, AllocManifest, NodeRecord } from '../../wire';

export type NodeInput = Omit<NodeRecord, 'Status' | 'LastHeartbeat'>;

/** One answer of the ACL watch: the state and its content hash. */
export interface AclWatchAnswer {
  etag: string;
  snapshot: AclSnapshot;
}

/**
 * How this node's records reach the registry: through a gateway's node API (GatewayLink), or in
 * process in `fleetgate dev`. The agent itself never holds registry credentials; the link
 * speaks for this node only, and the other side decides what it may change.
 */
export interface NodeLink {
  register(node: NodeInput, ttlMs: number): Promise<void>;
  /** False when the registry has no record of this node: register again. */
  heartbeat(ttlMs: number): Promise<boolean>;
  /** Publish allocations; `complete` = this is all of them. Returns the IDs refused (held by another node). */
  putAllocs(allocs: readonly AllocManifest[], complete: boolean): Promise<AllocId[]>;
  removeAlloc(id: AllocId): Promise<void>;
}
