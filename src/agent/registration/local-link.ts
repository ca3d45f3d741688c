import type { NodeAdmission } from '../../registry/admission';
import type { Registry } from '../../registry/registry';
import type { NodeId } from '../../wire';
import type { NodeLink } from './link';

/**
 * The in-process link of `fleetgate dev`, where gateway and agent are one process and share the
 * registry: no join token or secret (nothing crosses a trust boundary), but allocations go
 * through the same ownership rule as the gateway's node API.
 */
export const localLink = (registry: Registry, admission: NodeAdmission, nodeId: NodeId): NodeLink => ({
  register: (node, ttlMs) => registry.putNode(node, ttlMs),
  heartbeat: (ttlMs) => registry.heartbeat(nodeId, ttlMs),
  putAllocs: (allocs, complete) => admission.putAllocs(nodeId, allocs, complete),
  removeAlloc: (id) => admission.removeAlloc(nodeId, id),
});
